// Closed-loop load: N clients, each sending its next non-streaming chat request as soon as the
// last one ended, until the time is up. Every request is kept: when it was sent, how long it
// took, the status, the deployment that served it (x-switchyard-deployment) and its usage.

export interface Sample {
  /** ms from the start of the run to the request's send. */
  t: number;
  /** ms until the whole answer was read. */
  ms: number;
  /** HTTP status; 0 when no answer came (connection error, client timeout). */
  status: number;
  deployment: string | undefined;
  promptTokens: number;
  completionTokens: number;
}

export interface LoadOptions {
  /** The chat completions URL. */
  url: string;
  key: string;
  model: string;
  clients: number;
  durationMs: number;
  /** A request that takes longer is abandoned and counts as status 0. */
  timeoutMs?: number;
}

export interface RunningLoad {
  /** Samples so far; grows until `done` resolves. */
  readonly samples: Sample[];
  /** ms since the run started. */
  elapsed(): number;
  /** Resolves when every client has stopped (no new request after `durationMs`). */
  done: Promise<Sample[]>;
}

interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
}

export function startClosedLoop(opts: LoadOptions): RunningLoad {
  const t0 = performance.now();
  const elapsed = (): number => performance.now() - t0;
  const samples: Sample[] = [];
  let n = 0;

  async function one(): Promise<Sample> {
    const t = elapsed();
    n++;
    const body = JSON.stringify({
      model: opts.model,
      messages: [{ role: "user", content: `Routing simulation, request ${n}: say something short.` }],
    });
    try {
      const res = await fetch(opts.url, {
        method: "POST",
        headers: { authorization: `Bearer ${opts.key}`, "content-type": "application/json" },
        body,
        signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
      });
      const text = await res.text();
      let usage: Usage = {};
      if (res.status === 200) usage = (JSON.parse(text) as { usage?: Usage }).usage ?? {};
      return {
        t,
        ms: elapsed() - t,
        status: res.status,
        deployment: res.headers.get("x-switchyard-deployment") ?? undefined,
        promptTokens: usage.prompt_tokens ?? 0,
        completionTokens: usage.completion_tokens ?? 0,
      };
    } catch {
      return { t, ms: elapsed() - t, status: 0, deployment: undefined, promptTokens: 0, completionTokens: 0 };
    }
  }

  async function client(): Promise<void> {
    while (elapsed() < opts.durationMs) samples.push(await one());
  }

  const done = Promise.all(Array.from({ length: opts.clients }, client)).then(() => samples);
  return { samples, elapsed, done };
}

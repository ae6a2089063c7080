// The official Python SDKs (openai, anthropic; installed into .venv from
// deploy/local/requirements-test.txt by `npm test`) driven through
// test/harness/python-sdk-runner.py: one Python process per test file, one JSON line per call,
// answered with what the SDK parsed or the error it raised, so the assertions stay in TypeScript.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { repoRoot } from "./env.js";

/** What an SDK raised: its class (e.g. "AuthenticationError"), HTTP status and parsed body. */
export interface PythonSdkError {
  class: string;
  status_code: number | null;
  body: unknown;
  message: string;
}

export interface PythonCall {
  sdk: "openai" | "anthropic";
  base_url: string;
  api_key: string;
  /** The method's path on the client, e.g. "chat.completions.create". */
  call: string;
  /** Its keyword arguments, as JSON. */
  args: Record<string, unknown>;
  /**
   * unary: the parsed result; raw: `{ headers, data }` via `with_raw_response`; iterate:
   * `{ events }` of a `stream=True` call; final: `{ events, final }` of a stream helper such as
   * `messages.stream`, whose `get_final_message()` is `final`.
   */
  mode?: "unary" | "raw" | "iterate" | "final";
}

export type PythonResult =
  { ok: true; value: unknown } | { ok: false; error: PythonSdkError; events: unknown[] };

interface Answer {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: PythonSdkError;
  events?: unknown[];
}

export interface PythonSdks {
  /** The SDK versions the runner imported, e.g. { openai: "3.57.0", anthropic: "2.16.0" }. */
  versions: { openai: string; anthropic: string };
  /** The SDK's answer or its error, without throwing. */
  call(req: PythonCall): Promise<PythonResult>;
  close(): Promise<void>;
}

/** The developer's own SDK settings (base URLs, extra headers) must not reach the tests. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("OPENAI_") && !k.startsWith("ANTHROPIC_")),
  );
}

export async function startPythonSdks(): Promise<PythonSdks> {
  const proc = spawn(
    join(repoRoot(), ".venv", "bin", "python"),
    [join(repoRoot(), "test", "harness", "python-sdk-runner.py")],
    { stdio: ["pipe", "pipe", "pipe"], env: cleanEnv() },
  );
  let stderr = "";
  proc.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  const waiting = new Map<number, { resolve: (a: Answer) => void; reject: (e: Error) => void }>();
  let exited: Error | undefined;
  const fail = (err: Error): void => {
    exited = err;
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  proc.once("exit", (code) => fail(new Error(`the Python SDK runner exited (${code}): ${stderr}`)));
  // No .venv python: `npm test` installs it (deploy/local/src/install.ts).
  proc.once("error", (err) => fail(new Error(`the Python SDK runner did not start: ${err.message}`)));
  createInterface({ input: proc.stdout }).on("line", (line) => {
    const a = JSON.parse(line) as Answer;
    waiting.get(a.id)?.resolve(a);
    waiting.delete(a.id);
  });
  const answer = (id: number): Promise<Answer> =>
    new Promise((resolve, reject) => {
      if (exited) reject(exited);
      else waiting.set(id, { resolve, reject });
    });
  const hello = await answer(0);
  let next = 1;
  return {
    versions: hello.value as PythonSdks["versions"],
    async call(req) {
      const id = next++;
      const pending = answer(id);
      proc.stdin.write(`${JSON.stringify({ id, ...req })}\n`);
      const a = await pending;
      return a.ok
        ? { ok: true, value: a.value }
        : { ok: false, error: a.error as PythonSdkError, events: a.events ?? [] };
    },
    close: async () => {
      if (exited) return;
      const gone = new Promise((resolve) => proc.once("exit", resolve));
      proc.stdin.end();
      await gone;
    },
  };
}

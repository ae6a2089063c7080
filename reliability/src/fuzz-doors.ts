// Fuzzing the doors: random and mutated inputs to every method of the gRPC Gateway service
// (and the standard health check), and to the HTTP doors (chat, embeddings, Anthropic messages
// and count_tokens, Responses), each with a client deadline. Every answer must be a proper one: a
// gRPC status other than INTERNAL/UNKNOWN (those mean the gateway failed on the input); an HTTP
// error in the door's own error JSON (OpenAI's, or Anthropic's on its door), never a 500 unless
// the input asked the upstream to fail (Anthropic's api_error is its 500 for upstream failures
// too); a stream that ends as its door's streams end (or with an error event); an answer of the
// door's shape; and never a hang or a dropped connection. Whether a process crashed or grew
// without bound is the caller's to check (the test and `npm run fuzz` do).
import { Client, Metadata, credentials, status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { Gateway } from "@switchyard/proto";
import fc from "fast-check";
import { Agent, request } from "undici";
import { grpcPayload, httpInput, metadataArb, type HttpInput } from "./fuzz-inputs.js";

export interface DoorTally {
  door: "grpc" | "http";
  inputs: number;
  /** Answers by gRPC status name or HTTP status code. */
  answers: Record<string, number>;
  /** Improper answers, each with the input that caused it (the first 20). */
  failures: string[];
  failed: number;
  ms: number;
}

export interface FuzzOptions {
  inputs: number;
  seed: number;
  /** A valid API key, so that part of the inputs get past authentication. */
  key: string;
  concurrency?: number;
  /** Longer than this without an answer is a hang. */
  timeoutMs?: number;
}

/** Runs `one` over `inputs` samples of `arb`, `concurrency` at a time, in chunks of 500. */
async function drive<T>(
  arb: fc.Arbitrary<T>,
  opts: FuzzOptions,
  one: (input: T) => Promise<string | { failure: string }>,
  door: DoorTally["door"],
): Promise<DoorTally> {
  const tally: DoorTally = { door, inputs: 0, answers: {}, failures: [], failed: 0, ms: 0 };
  const t0 = Date.now();
  for (let chunk = 0; tally.inputs < opts.inputs; chunk++) {
    const n = Math.min(500, opts.inputs - tally.inputs);
    const inputs = fc.sample(arb, { seed: opts.seed + chunk, numRuns: n });
    let next = 0;
    await Promise.all(
      Array.from({ length: opts.concurrency ?? 8 }, async () => {
        for (let i = next++; i < inputs.length; i = next++) {
          const verdict = await one(inputs[i]!);
          if (typeof verdict === "string") tally.answers[verdict] = (tally.answers[verdict] ?? 0) + 1;
          else {
            tally.failed++;
            if (tally.failures.length < 20) tally.failures.push(verdict.failure);
          }
        }
      }),
    );
    tally.inputs += n;
  }
  tally.ms = Date.now() - t0;
  return tally;
}

const METHODS = [
  ...Gateway.methods.map((m) => ({
    path: `/${Gateway.typeName}/${m.name}`,
    input: m.input,
    stream: m.methodKind === "server_streaming",
  })),
];
const HEALTH_CHECK = "/grpc.health.v1.Health/Check";

export async function fuzzGrpc(address: string, opts: FuzzOptions): Promise<DoorTally> {
  const client = new Client(address, credentials.createInsecure());
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const arb = fc.record({
    method: fc.integer({ min: 0, max: METHODS.length }),
    payloads: fc.tuple(...METHODS.map((m) => grpcPayload(m.input))),
    metadata: metadataArb(opts.key),
    deadlineMs: fc.oneof(fc.constant(undefined), fc.integer({ min: 1, max: 5000 })),
  });
  const serialize = (b: Uint8Array): Buffer => Buffer.from(b);
  const deserialize = (b: Buffer): Buffer => b;
  try {
    return await drive(
      arb,
      { ...opts, timeoutMs },
      (input) =>
        new Promise((resolve) => {
          const method = METHODS[input.method];
          const path = method?.path ?? HEALTH_CHECK;
          const payload = method ? input.payloads[input.method]! : new Uint8Array();
          const md = new Metadata();
          for (const [k, v] of input.metadata) {
            try {
              md.set(k, v);
            } catch {
              // not a value grpc-js would send at all
            }
          }
          const started = Date.now();
          const deadline = Date.now() + Math.min(input.deadlineMs ?? timeoutMs, timeoutMs);
          const describe = (): string =>
            `${path} ${Buffer.from(payload).toString("base64").slice(0, 200)} md=${JSON.stringify(input.metadata)}`;
          const judge = (err: ServiceError | null): void => {
            const code = err?.code ?? GrpcStatus.OK;
            const name = GrpcStatus[code] ?? String(code);
            if (code === GrpcStatus.DEADLINE_EXCEEDED && Date.now() - started >= timeoutMs - 50)
              resolve({ failure: `hang: ${describe()}` });
            else if ((code === GrpcStatus.INTERNAL || code === GrpcStatus.UNKNOWN) && path !== HEALTH_CHECK)
              resolve({ failure: `${name} "${err?.details}": ${describe()}` });
            else resolve(name);
          };
          if (method?.stream) {
            const call = client.makeServerStreamRequest(path, serialize, deserialize, payload, md, {
              deadline,
            });
            call.on("data", () => undefined);
            call.on("error", (err: ServiceError) => judge(err));
            call.on("end", () => judge(null));
          } else {
            client.makeUnaryRequest(path, serialize, deserialize, payload, md, { deadline }, (err) =>
              judge(err),
            );
          }
        }),
      "grpc",
    );
  } finally {
    client.close();
  }
}

const OPENAI_ERROR_TYPES = new Set([
  "invalid_request_error",
  "authentication_error",
  "permission_error",
  "rate_limit_error",
  "insufficient_quota",
  "content_policy_violation",
  "service_unavailable",
  "timeout",
  "cancelled",
  "api_error",
]);

/** Anthropic's error types (https://docs.anthropic.com/en/api/errors). */
const ANTHROPIC_ERROR_TYPES = new Set([
  "invalid_request_error",
  "authentication_error",
  "billing_error",
  "permission_error",
  "not_found_error",
  "request_too_large",
  "rate_limit_error",
  "api_error",
  "timeout_error",
  "overloaded_error",
]);

const pathOf = (input: HttpInput): string => {
  try {
    return new URL(input.path, "http://x").pathname.replace(/\/+$/, "");
  } catch {
    return input.path;
  }
};

/** Anthropic's error shape on its door, and on the models API when asked with anthropic-version. */
function isAnthropic(input: HttpInput): boolean {
  const path = pathOf(input);
  const models = path === "/v1/models" || path.startsWith("/v1/models/");
  return path.startsWith("/v1/messages") || (models && input.headers["anthropic-version"] !== undefined);
}

/** The input's prompt asks the MOCK upstream to fail (`[mock:error=…]`, `[mock:cut=…]`). */
function asksUpstreamToFail(input: HttpInput): boolean {
  return typeof input.body === "string" && /\[mock:[^\]]*\b(error|cut)=/.test(input.body);
}

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};

/** What is wrong with an error answer's body, if anything. */
function errorBodyProblem(anthropic: boolean, text: string): string | undefined {
  const body = parse(text) as { type?: unknown; error?: { type?: unknown; message?: unknown } } | undefined;
  if (body === undefined) return "a non-JSON error";
  const type = body.error?.type;
  if (anthropic) {
    if (body.type !== "error" || typeof type !== "string" || !ANTHROPIC_ERROR_TYPES.has(type))
      return "without an Anthropic error";
  } else if (typeof type !== "string" || !OPENAI_ERROR_TYPES.has(type)) return "without an OpenAI error";
  if (typeof body.error?.message !== "string") return "an error without a message";
  return undefined;
}

/** The named events of an SSE text, in order. */
function sseEventNames(text: string): { event: string; data: string }[] {
  return text
    .split(/\n\n/)
    .filter((b) => b.trim() !== "")
    .map((b) => {
      const lines = b.split("\n");
      return {
        event: lines.find((l) => l.startsWith("event: "))?.slice(7) ?? "",
        data: lines.find((l) => l.startsWith("data: "))?.slice(6) ?? "",
      };
    });
}

const RESPONSES_ENDS = new Set(["response.completed", "response.incomplete", "response.failed", "error"]);

/**
 * What is wrong with a stream, if anything: it must end as its door's streams end, or, when it
 * went wrong after its start, with an error event, never silently.
 */
function streamProblem(path: string, text: string): string | undefined {
  if (path === "/v1/messages" || path === "/v1/responses") {
    if (text.includes("[DONE]")) return "[DONE] in a stream of named events";
    const events = sseEventNames(text);
    const last = events.at(-1);
    const anthropic = path === "/v1/messages";
    // Anthropic's clean end is message_delta (the stop reason) then message_stop.
    const clean = anthropic
      ? last?.event === "message_stop" && events.at(-2)?.event === "message_delta"
      : RESPONSES_ENDS.has(last?.event ?? "");
    if (!clean && last?.event !== "error")
      return `a stream that ended with ${
        events
          .slice(-2)
          .map((e) => e.event)
          .join(", ") || "nothing"
      }`;
    if (last?.event === "error" && errorBodyProblem(anthropic, last.data) !== undefined)
      return `a stream's error event ${errorBodyProblem(anthropic, last.data)}`;
    if (events.some((e) => e.event === "error") && last?.event !== "error")
      return "events after an error event";
    return undefined;
  }
  if (!text.includes("data: [DONE]") && !text.includes('"error"'))
    return "a stream ended without [DONE] or an error";
  return undefined;
}

/** What is wrong with a successful JSON answer of the Anthropic and Responses doors, if anything. */
function answerProblem(path: string, text: string): string | undefined {
  const body = parse(text) as Record<string, unknown> | undefined;
  if (path === "/v1/messages")
    return body?.["type"] === "message" && Array.isArray(body["content"]) ? undefined : "not a message";
  if (path === "/v1/messages/count_tokens")
    return Number.isInteger(body?.["input_tokens"]) ? undefined : "not a token count";
  if (path === "/v1/responses") return body?.["object"] === "response" ? undefined : "not a response";
  return undefined;
}

export async function fuzzHttp(baseUrl: string, opts: FuzzOptions): Promise<DoorTally> {
  const agent = new Agent({ connections: (opts.concurrency ?? 8) * 2, keepAliveTimeout: 10_000 });
  const timeoutMs = opts.timeoutMs ?? 15_000;
  try {
    return await drive(
      httpInput(opts.key),
      { ...opts, timeoutMs },
      async (input) => {
        const describe = (): string =>
          `${input.method} ${input.path} ${JSON.stringify(input.headers)} ${typeof input.body === "string" ? input.body.slice(0, 300) : `<${input.body?.length ?? 0} bytes>`}`;
        try {
          const res = await request(`${baseUrl}${input.path}`, {
            method: input.method as "POST",
            headers: input.headers,
            body: input.method === "GET" ? undefined : input.body,
            dispatcher: agent,
            signal: AbortSignal.timeout(timeoutMs),
          });
          const text = await res.body.text();
          const code = res.statusCode;
          const anthropic = isAnthropic(input);
          const path = pathOf(input);
          // The gateway failed on the input; only an upstream asked to fail may answer 500
          // (Anthropic's api_error), and only on the Anthropic door (OpenAI's is 502).
          if (code === 500 && !(anthropic && asksUpstreamToFail(input)))
            return { failure: `500 ${text.slice(0, 200)}: ${describe()}` };
          if (code >= 400) {
            const problem = errorBodyProblem(anthropic, text);
            if (problem !== undefined)
              return { failure: `${code} ${problem} ${text.slice(0, 200)}: ${describe()}` };
            return String(code);
          }
          const isStream = String(res.headers["content-type"] ?? "").startsWith("text/event-stream");
          const problem = isStream ? streamProblem(path, text) : answerProblem(path, text);
          if (problem !== undefined) return { failure: `${code} ${problem}: ${describe()}` };
          return String(code);
        } catch (err) {
          const name = (err as Error).name;
          return {
            failure: `${name === "TimeoutError" ? "hang" : `client error ${(err as Error).message}`}: ${describe()}`,
          };
        }
      },
      "http",
    );
  } finally {
    await agent.close();
  }
}

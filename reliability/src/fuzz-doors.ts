// Fuzzing the doors: random and mutated inputs to every method of the gRPC Gateway service
// (and the standard health check), and to the HTTP door, each with a client deadline. Every
// answer must be a proper one: a gRPC status other than INTERNAL/UNKNOWN (those mean the
// gateway failed on the input), an HTTP status other than 500 with OpenAI's error JSON, and
// never a hang or a dropped connection. Whether a process crashed or grew without bound is the
// caller's to check (the test and `npm run fuzz` do).
import { Client, Metadata, credentials, status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { Gateway } from "@switchyard/proto";
import fc from "fast-check";
import { Agent, request } from "undici";
import { grpcPayload, httpInput, metadataArb } from "./fuzz-inputs.js";

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
          if (code === 500) return { failure: `500 ${text.slice(0, 200)}: ${describe()}` };
          if (code >= 400) {
            const type = (JSON.parse(text) as { error?: { type?: string } }).error?.type ?? "";
            if (!OPENAI_ERROR_TYPES.has(type))
              return { failure: `${code} without an OpenAI error: ${describe()}` };
          }
          // A stream that went wrong after its start ends with an error event, never silently.
          const isStream = String(res.headers["content-type"] ?? "").startsWith("text/event-stream");
          if (isStream && !text.includes("data: [DONE]") && !text.includes('"error"'))
            return { failure: `a stream ended without [DONE] or an error: ${describe()}` };
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

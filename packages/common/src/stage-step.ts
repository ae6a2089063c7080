// One stage's work on one request, shared by the two places a stage can run: its own process
// (the stage runner, fed by NATS) and inside ingress (inline stages, no NATS hop).
import { create } from "@bufbuild/protobuf";
import { ReplySchema, type Envelope, type Reply, type StreamFrame } from "@switchyard/proto";
import { recordTiming } from "./envelope.js";
import { GatewayError } from "./errors.js";
import type { Flight } from "./flight.js";

/**
 * A stage's decision for one request. Return "next" to pass it on along the routing slip, or
 * "answered" when the stage answered the client itself (through its ReplySink). Throw a
 * GatewayError to end the request with that error. A handler may rewrite the body (then call
 * `flight.markBodyChanged()`) and set the envelope's `guard`, `route` or `admission`; nothing
 * else (but the meter, sending a request over budget to another model: a new `route` and the
 * `model` with it). It waits on nothing past `flight.deadline`.
 */
export type StageHandler = (flight: Flight) => Promise<"next" | "answered">;

/** Where a stage sends what the client gets: over NATS, or straight to the waiting call inline. */
export interface ReplySink {
  reply(env: Envelope, reply: Reply): void;
  frame(env: Envelope, frame: StreamFrame): void;
}

export type StepOutcome =
  { kind: "forward"; next: string } | { kind: "answered" } | { kind: "failed"; error: GatewayError };

/** Prefix of a routing-slip entry for a stage that runs inside the originating ingress. */
export const HOME = "@";

/** The routing-slip entry after the current hop, advancing the hop; undefined at the end. */
export function nextStage(env: Envelope): string | undefined {
  const next = env.itinerary[env.hop];
  if (next !== undefined) env.hop++;
  return next;
}

/** Runs the handler and records the stage's time in the envelope; never throws. */
export async function runStep(
  stage: string,
  instance: string,
  handler: StageHandler,
  flight: Flight,
  /** When the stage got the request (before decoding it, in a stage process). */
  started: bigint = process.hrtime.bigint(),
): Promise<StepOutcome> {
  const env = flight.env;
  try {
    const result = await handler(flight);
    if (result === "answered") return { kind: "answered" };
    recordTiming(env, stage, instance, started);
    const next = nextStage(env);
    if (next === undefined)
      throw new GatewayError("internal", `routing slip ended at ${stage} without an answer`);
    return { kind: "forward", next };
  } catch (err) {
    recordTiming(env, stage, instance, started);
    const error = GatewayError.from(err);
    return { kind: "failed", error: error.stage === "" ? error.atStage(stage) : error };
  }
}

/** The client's answer for a request a stage ends with an error. */
export function failedReply(env: Envelope, err: GatewayError): Reply {
  return create(ReplySchema, {
    requestId: env.requestId,
    result: { case: "error", value: err.toInfo() },
    timings: env.timings,
    guard: env.guard,
    admission: env.admission,
    outcome: err.outcome,
  });
}

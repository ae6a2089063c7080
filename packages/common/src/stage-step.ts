// One stage's work on one envelope, shared by the two places a stage can run: its own process
// (the stage runner, fed by NATS) and inside ingress (inline stages, no NATS hop).
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { ReplySchema, type Envelope, type Reply, type UsageEventSchema } from "@switchyard/proto";
import { popNextStage, recordTiming } from "./envelope.js";
import { GatewayError } from "./errors.js";

/**
 * A stage's decision for one envelope. Return the envelope (possibly changed) to pass it on
 * along the routing slip, or `"answered"` when the stage replied to the client itself.
 * Throw a GatewayError to end the request with that error.
 */
export type StageHandler = (env: Envelope, signal: AbortSignal) => Promise<Envelope | "answered">;

export type StepOutcome =
  | { kind: "forward"; env: Envelope; next: string }
  | { kind: "answered" }
  | { kind: "failed"; error: GatewayError };

/** Runs the handler and records the stage's time in the envelope; never throws. */
export async function runStep(
  stage: string,
  instance: string,
  handler: StageHandler,
  env: Envelope,
  signal: AbortSignal,
  /** When the stage got the envelope (before decoding it, in a stage process). */
  started: bigint = process.hrtime.bigint(),
): Promise<StepOutcome> {
  try {
    const result = await handler(env, signal);
    if (result === "answered") return { kind: "answered" };
    recordTiming(result, stage, instance, started);
    const next = popNextStage(result);
    if (next === undefined)
      throw new GatewayError("internal", `routing slip ended at ${stage} without an answer`);
    return { kind: "forward", env: result, next };
  } catch (err) {
    recordTiming(env, stage, instance, started);
    const error = GatewayError.from(err);
    return { kind: "failed", error: error.stage === "" ? error.atStage(stage) : error };
  }
}

/** The one usage event of a request that a stage ends with an error. */
export function failedUsage(env: Envelope, err: GatewayError): MessageInitShape<typeof UsageEventSchema> {
  return {
    requestId: env.requestId,
    tenantId: env.tenantId,
    keyId: env.keyId,
    kind: env.kind,
    model: env.model,
    status: err.code,
    stream: env.stream,
    receivedUnixMs: env.receivedUnixMs,
    finishedUnixMs: BigInt(Date.now()),
    timings: env.timings,
    guard: env.guard,
  };
}

/** The client's answer for a request a stage ends with an error. */
export function failedReply(env: Envelope, err: GatewayError): Reply {
  return create(ReplySchema, {
    requestId: env.requestId,
    result: { case: "error", value: err.toInfo() },
    timings: env.timings,
    guard: env.guard,
  });
}

// The one usage event of a request, written by the ingress that ends it: from the envelope it
// built, how the request ended, and what the provider reported (its Outcome). Ingress is the
// one place every request ends — answered, failed at a stage, past its deadline, or left by
// its client — so the event is written exactly once, whichever replicas took part, however
// often the request was retried, and whichever of them died.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { EventPublisher } from "@switchyard/common";
import type {
  Admission,
  Envelope,
  GuardResult,
  Outcome,
  StageTiming,
  UsageEventSchema,
} from "@switchyard/proto";
import { guardVerdictsOf } from "./guard-verdicts.js";

export interface RequestEnd {
  /** "ok", or the error code the request ended with. */
  status: string;
  outcome?: Outcome;
  timings: readonly StageTiming[];
  guard?: GuardResult;
  /** What the meter admitted it under, as the answer said (settlement corrects the limits). */
  admission?: Admission;
  /** Times ingress sent the request again after the replica holding it was lost. */
  retries?: number;
}

export function usageEventOf(env: Envelope, end: RequestEnd): MessageInitShape<typeof UsageEventSchema> {
  const o = end.outcome;
  return {
    requestId: env.requestId,
    tenantId: env.tenantId,
    teamId: env.teamId,
    keyId: env.keyId,
    kind: env.kind,
    model: env.model,
    provider: o?.provider ?? "",
    deployment: o?.deployment ?? "",
    upstreamModel: o?.upstreamModel ?? "",
    usage: o?.usage,
    costNanoUsd: o?.costNanoUsd ?? 0n,
    costInputNanoUsd: o?.costInputNanoUsd ?? 0n,
    costOutputNanoUsd: o?.costOutputNanoUsd ?? 0n,
    status: end.status,
    stream: env.stream,
    receivedUnixMs: env.receivedUnixMs,
    finishedUnixMs: BigInt(Date.now()),
    ttftMs: o?.ttftMs ?? 0,
    upstreamMs: o?.upstreamMs ?? 0,
    fallbacks: o?.fallbacks ?? 0,
    attempts: o?.attempts ?? 0,
    timings: [...end.timings],
    guard: end.guard ?? o?.guard ?? env.guard,
    guardOutput: o?.guardOutput,
    retries: end.retries ?? 0,
    admission: end.admission,
    routePolicy: o?.routePolicy ?? env.route?.policy ?? "",
    routeReason: o?.routeReason ?? env.route?.reason ?? "",
    door: env.origin?.door ?? "",
    endUser: env.routeHints?.endUser ?? "",
    batchId: env.origin?.batchId ?? "",
    chainId: env.origin?.chainId ?? "",
  };
}

/** Writes the request's usage event and the verdicts of its screenings, once, as it ends. */
export function recordEnd(events: EventPublisher, env: Envelope, end: RequestEnd): void {
  const usage = usageEventOf(env, end);
  events.usage(usage);
  const input = end.guard ?? end.outcome?.guard ?? env.guard;
  for (const verdict of guardVerdictsOf(env, input, end.outcome?.guardOutput)) events.verdict(verdict);
}

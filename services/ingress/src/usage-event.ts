// The one usage event of a request, written by the ingress that ends it: from the envelope it
// built, how the request ended, and what the provider reported (its Outcome). Ingress is the
// one place every request ends — answered, failed at a stage, past its deadline, or left by
// its client — so the event is written exactly once, whichever replicas took part, however
// often the request was retried, and whichever of them died.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  Admission,
  Envelope,
  GuardResult,
  Outcome,
  StageTiming,
  UsageEventSchema,
} from "@switchyard/proto";

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
    timings: [...end.timings],
    guard: end.guard ?? o?.guard ?? env.guard,
    retries: end.retries ?? 0,
    admission: end.admission,
  };
}

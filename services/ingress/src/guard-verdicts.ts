// A request's guard verdicts: one per screening that ran (the prompt's, the answer's), with
// rule ids, actions, counts and salted value hashes, never values. Written with the request's
// usage event by the ingress that ends it, so each screening is published once, whichever
// replicas took part.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Envelope, GuardResult, GuardVerdictSchema } from "@switchyard/proto";

export function guardVerdictsOf(
  env: Envelope,
  input: GuardResult | undefined,
  output: GuardResult | undefined,
): MessageInitShape<typeof GuardVerdictSchema>[] {
  const at = BigInt(Date.now());
  const of = (direction: string, result: GuardResult) => ({
    requestId: env.requestId,
    tenantId: env.tenantId,
    keyId: env.keyId,
    teamId: env.teamId,
    model: env.model,
    direction,
    result,
    atUnixMs: at,
  });
  const out: MessageInitShape<typeof GuardVerdictSchema>[] = [];
  if (input !== undefined) out.push(of("input", input));
  if (output !== undefined) out.push(of("output", output));
  return out;
}

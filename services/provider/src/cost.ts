// Cost of one request in integer nano-USD from the deployment's per-token prices.
import type { Deployment, Usage } from "@switchyard/proto";

export function costNanoUsd(d: Deployment | undefined, u: Usage | undefined): bigint {
  if (d === undefined || u === undefined) return 0n;
  const cached = BigInt(Math.min(u.cachedTokens, u.promptTokens));
  const uncached = BigInt(u.promptTokens) - cached;
  return (
    uncached * d.inputNanoUsdPerToken +
    cached * d.cachedInputNanoUsdPerToken +
    BigInt(u.completionTokens) * d.outputNanoUsdPerToken
  );
}

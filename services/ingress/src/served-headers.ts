// x-switchyard-deployment and x-switchyard-attempts: the deployment that answered (or, on an
// error, the one that failed last) and how many upstream calls the request took, each retry on
// a deployment and each fallback included. gRPC sends them as metadata and again as trailers.

export function servedHeaders(
  deployment: string | undefined,
  attempts: number | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (deployment !== undefined && deployment !== "") out["x-switchyard-deployment"] = deployment;
  if (attempts !== undefined && attempts > 0) out["x-switchyard-attempts"] = String(attempts);
  return out;
}

// Before a policy weighs anything: the alias's first route whose condition holds narrows the
// candidates (by tenant, team, key, metadata, prompt size), then the request's needs drop the
// deployments that cannot serve it (tools, images, a prompt longer than the context window).
import { GatewayError, type Candidate, type CatalogEntry, type RoutePolicy } from "@switchyard/common";
import type { Envelope } from "@switchyard/proto";

export interface Narrowed {
  candidates: Candidate[];
  policy: RoutePolicy;
  /** The route that matched, for the reason ("route `long`"); empty for none. */
  route: string;
  /** Deployments left out, and why (for the scores in the envelope). */
  dropped: { candidate: Candidate; note: string }[];
}

function matches(route: CatalogEntry["routes"][number], env: Envelope): boolean {
  const w = route.when;
  if (w.tenant !== undefined && !w.tenant.includes(env.tenantId)) return false;
  if (w.team !== undefined && !w.team.includes(env.teamId)) return false;
  if (w.key !== undefined && !w.key.includes(env.keyId)) return false;
  if (w.min_prompt_tokens !== undefined && env.estimatedPromptTokens < w.min_prompt_tokens) return false;
  if (w.metadata !== undefined) {
    const have = env.routeHints?.metadata ?? {};
    for (const [k, v] of Object.entries(w.metadata)) if (have[k] !== v) return false;
  }
  return true;
}

export function narrow(entry: CatalogEntry, env: Envelope): Narrowed {
  const route = entry.routes.find((r) => matches(r, env));
  let candidates = route?.candidates ?? entry.candidates;
  const dropped: Narrowed["dropped"] = [];
  const keep = (ok: (c: Candidate) => boolean, note: string, field: string, need: string): void => {
    const left = candidates.filter(ok);
    for (const c of candidates) if (!ok(c)) dropped.push({ candidate: c, note });
    if (left.length === 0)
      throw new GatewayError(
        "invalid_argument",
        `no deployment of the model \`${env.model}\` accepts ${need}`,
        { field, retryable: false },
      );
    candidates = left;
  };
  const hints = env.routeHints;
  if (hints?.tools === true) keep((c) => c.tools, "no tools", "tools", "tools");
  if (hints?.images === true) keep((c) => c.images, "no images", "messages", "images");
  const prompt = env.estimatedPromptTokens;
  const fits = (c: Candidate): boolean =>
    c.deployment.contextWindow === 0 || c.deployment.contextWindow >= prompt;
  if (!candidates.every(fits)) {
    if (candidates.some(fits)) keep(fits, "context window", "messages", "");
    else {
      // The prompt is an estimate: rather than refuse, try the largest window first.
      candidates = [...candidates].sort((a, b) => b.deployment.contextWindow - a.deployment.contextWindow);
    }
  }
  return { candidates, policy: route?.policy ?? entry.policy, route: route?.name ?? "", dropped };
}

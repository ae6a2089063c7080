// The model catalog from the gateway file: aliases clients send, and the deployments behind
// each, with their prices resolved once, here, into integer price tables (prices.ts), and the
// alias's routing: policy, conditions, circuit, retries and refusal fallbacks.
import { create } from "@bufbuild/protobuf";
import {
  DeploymentSchema,
  RefusalFallbackSchema,
  RetryPolicySchema,
  type Deployment,
  type RefusalFallback,
  type RetryPolicy,
} from "@switchyard/proto";
import type { GatewayConfig } from "./gateway-config.js";
import type { Logger } from "./logging.js";
import { buildPriceTable } from "./prices.js";
import type { CircuitConfig, ObjectivesConfig, RouteConfig, RoutePolicy } from "./routing-config.js";

/** What the router weighs a deployment by, besides its live statistics. */
export interface Candidate {
  deployment: Deployment;
  weight: number;
  tools: boolean;
  images: boolean;
}

/** A route of the alias with its deployments resolved. */
export interface CatalogRoute extends Omit<RouteConfig, "deployments"> {
  candidates: Candidate[];
}

export interface CatalogEntry {
  alias: string;
  kind: "chat" | "embedding";
  deployments: Deployment[];
  /** The deployments with what the router weighs them by, in config order. */
  candidates: Candidate[];
  policy: RoutePolicy;
  sticky: "none" | "key" | "end_user";
  objectives: ObjectivesConfig;
  circuit: CircuitConfig;
  routes: CatalogRoute[];
  /** Retries on the same deployment, for the route; undefined when the alias makes none. */
  retry: RetryPolicy | undefined;
  /** Fallbacks on refusals, for the route; undefined when the alias has none. */
  refusalFallback: RefusalFallback | undefined;
}

export type Catalog = ReadonlyMap<string, CatalogEntry>;

/** Builds the catalog; `log` gets one warning for each deployment that nothing prices. */
export function buildCatalog(cfg: GatewayConfig, log?: Pick<Logger, "warn">): Catalog {
  const out = new Map<string, CatalogEntry>();
  for (const model of cfg.models) {
    const r = model.retry;
    const candidates = model.deployments.map((d): Candidate => {
      const provider = cfg.providers[d.provider]?.type ?? "";
      const prices = buildPriceTable(provider, d.model, d, (reason) =>
        log?.warn(
          { deployment: d.id, provider, model: d.model },
          `${reason}: its cost counts as 0 (set its prices or price_model in the gateway file)`,
        ),
      );
      const deployment = create(DeploymentSchema, {
        id: d.id,
        provider: d.provider,
        upstreamModel: d.model,
        prices,
        contextWindow: d.context_window ?? 0,
      });
      return { deployment, weight: d.weight, tools: d.tools, images: d.images };
    });
    const byId = new Map(candidates.map((c) => [c.deployment.id, c]));
    const pick = (ids: readonly string[]): Candidate[] => ids.flatMap((i) => byId.get(i) ?? []);
    const fb = model.fallback;
    out.set(model.alias, {
      alias: model.alias,
      kind: model.kind,
      deployments: candidates.map((c) => c.deployment),
      candidates,
      policy: model.policy,
      sticky: model.sticky,
      objectives: model.objectives,
      circuit: model.circuit,
      routes: model.routes.map(({ deployments, ...route }) => ({
        ...route,
        candidates: deployments === undefined ? candidates : pick(deployments),
      })),
      // Built once, and left off the route (no bytes on the envelope) when it retries nothing.
      retry:
        r === undefined || r.attempts === 0
          ? undefined
          : create(RetryPolicySchema, { attempts: r.attempts, baseMs: r.base_ms, maxMs: r.max_ms }),
      refusalFallback:
        !fb.context_window && fb.content_policy.length === 0
          ? undefined
          : create(RefusalFallbackSchema, {
              contextWindow: fb.context_window,
              contentPolicy: pick(fb.content_policy).map((c) => c.deployment),
            }),
    });
  }
  return out;
}

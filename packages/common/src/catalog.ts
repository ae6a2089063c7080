// The model catalog from the gateway file: aliases clients send, and the deployments behind
// each, with their prices resolved once, here, into integer price tables (prices.ts), and the
// alias's retry policy.
import { create } from "@bufbuild/protobuf";
import { DeploymentSchema, RetryPolicySchema, type Deployment, type RetryPolicy } from "@switchyard/proto";
import type { GatewayConfig } from "./gateway-config.js";
import type { Logger } from "./logging.js";
import { buildPriceTable } from "./prices.js";

export interface CatalogEntry {
  alias: string;
  kind: "chat" | "embedding";
  deployments: Deployment[];
  /** Retries on the same deployment, for the route; undefined when the alias makes none. */
  retry: RetryPolicy | undefined;
}

export type Catalog = ReadonlyMap<string, CatalogEntry>;

/** Builds the catalog; `log` gets one warning for each deployment that nothing prices. */
export function buildCatalog(cfg: GatewayConfig, log?: Pick<Logger, "warn">): Catalog {
  const out = new Map<string, CatalogEntry>();
  for (const model of cfg.models) {
    const r = model.retry;
    out.set(model.alias, {
      alias: model.alias,
      kind: model.kind,
      // Built once, and left off the route (no bytes on the envelope) when it retries nothing.
      retry:
        r === undefined || r.attempts === 0
          ? undefined
          : create(RetryPolicySchema, { attempts: r.attempts, baseMs: r.base_ms, maxMs: r.max_ms }),
      deployments: model.deployments.map((d) => {
        const provider = cfg.providers[d.provider]?.type ?? "";
        const prices = buildPriceTable(provider, d.model, d, (reason) =>
          log?.warn(
            { deployment: d.id, provider, model: d.model },
            `${reason}: its cost counts as 0 (set its prices or price_model in the gateway file)`,
          ),
        );
        return create(DeploymentSchema, { id: d.id, provider: d.provider, upstreamModel: d.model, prices });
      }),
    });
  }
  return out;
}

// The model catalog from the gateway file: aliases clients send, and the deployments behind
// each, with prices converted to integer nano-USD per token (money is never a float).
import { create } from "@bufbuild/protobuf";
import { DeploymentSchema, type Deployment } from "@switchyard/proto";
import type { GatewayConfig } from "./gateway-config.js";

export interface CatalogEntry {
  alias: string;
  kind: "chat" | "embedding";
  deployments: Deployment[];
}

export type Catalog = ReadonlyMap<string, CatalogEntry>;

/** USD per million tokens → nano-USD per token. */
export function nanoUsdPerToken(usdPerMillion: number): bigint {
  return BigInt(Math.round(usdPerMillion * 1000));
}

export function buildCatalog(cfg: GatewayConfig): Catalog {
  const out = new Map<string, CatalogEntry>();
  for (const model of cfg.models) {
    out.set(model.alias, {
      alias: model.alias,
      kind: model.kind,
      deployments: model.deployments.map((d) =>
        create(DeploymentSchema, {
          id: d.id,
          provider: d.provider,
          upstreamModel: d.model,
          inputNanoUsdPerToken: nanoUsdPerToken(d.input_usd_per_mtok),
          outputNanoUsdPerToken: nanoUsdPerToken(d.output_usd_per_mtok),
          cachedInputNanoUsdPerToken: nanoUsdPerToken(d.cached_input_usd_per_mtok ?? d.input_usd_per_mtok),
        }),
      ),
    });
  }
  return out;
}

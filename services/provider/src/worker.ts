// The provider's handler with everything it needs (credentials, upstream pools, cancellations,
// cooldowns, the live routing statistics it feeds): what the provider process runs on its queue group, and what ingress runs
// in-process when the provider is an inline stage.
import type { NatsConnection } from "@nats-io/transport-node";
import {
  createAttemptRecorder,
  createRouteStatsView,
  openRouteStats,
  resolveProviderSecrets,
  type GatewayConfig,
  type Logger,
  type ReplySink,
  type StageHandler,
  type Subjects,
} from "@switchyard/common";
import { createAnswerScreens } from "@switchyard/guard/output";
import { providers as adapters } from "@switchyard/providers";
import type { Registry } from "prom-client";
import { createCancellations } from "./cancellations.js";
import { createCooldowns } from "./cooldowns.js";
import { createAttemptMetrics } from "./metrics.js";
import { createProviderStage, type ConfiguredProvider } from "./stage.js";
import { createUpstreamPools } from "./upstream-http.js";

export interface ProviderWorker {
  handler: StageHandler;
  close: () => Promise<void>;
}

export async function createProviderWorker(deps: {
  gateway: GatewayConfig;
  /** Where credentials come from (`api_key_env` / `secret_key_env` name variables in it). */
  secretsFrom: NodeJS.ProcessEnv;
  nc: NatsConnection;
  subjects: Subjects;
  replies: ReplySink;
  log: Logger;
  instance: string;
  /** Where the provider's metrics are registered (the process's, or ingress's when inline). */
  registry?: Registry;
}): Promise<ProviderWorker> {
  const secrets = resolveProviderSecrets(deps.gateway, deps.secretsFrom);
  const configured = new Map<string, ConfiguredProvider>();
  const limits = new Map<string, { maxConnections: number; timeoutMs: number }>();
  for (const [id, p] of Object.entries(deps.gateway.providers)) {
    const s = secrets.get(id);
    configured.set(id, {
      type: p.type,
      target: {
        baseUrl: p.base_url,
        apiKey: s?.apiKey ?? "",
        secretKey: s?.secretKey ?? "",
        region: p.region ?? "us-east-1",
        apiVersion: p.api_version ?? "",
      },
    });
    limits.set(id, { maxConnections: p.max_connections, timeoutMs: p.timeout_ms });
  }
  const pools = createUpstreamPools(limits);
  const cancellations = createCancellations(deps.nc, deps.subjects);
  // Every attempt feeds the routers' live statistics; cooldowns are read back from them.
  const kv = await openRouteStats(deps.nc, deps.subjects.prefix);
  const stats = createAttemptRecorder({ kv, instance: deps.instance, log: deps.log });
  const view = createRouteStatsView({ kv, log: deps.log, keys: ["r.>"] });
  const handler = createProviderStage({
    replies: deps.replies,
    log: deps.log,
    instance: deps.instance,
    adapters,
    providers: configured,
    pools,
    cancellations,
    cooldowns: createCooldowns({ view, recorder: stats }),
    stats,
    attempts: deps.registry === undefined ? undefined : createAttemptMetrics(deps.registry),
    answerScreens: createAnswerScreens(deps.gateway.guard, deps.secretsFrom.SWITCHYARD_GUARD_HASH_SALT),
  });
  return {
    handler,
    close: async () => {
      await cancellations.close();
      view.close();
      await stats.close();
      await pools.close();
    },
  };
}

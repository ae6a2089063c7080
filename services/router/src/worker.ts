// The router's handler with what it needs: the catalog, the shared live statistics (a watch on
// the NATS KV bucket), the circuit keeper and the metrics. What the router process runs, and
// what ingress runs in-process when the router is an inline stage.
import type { NatsConnection } from "@nats-io/transport-node";
import {
  buildCatalog,
  createRouteStatsView,
  openRouteStats,
  type CircuitConfig,
  type GatewayConfig,
  type Logger,
  type StageHandler,
  type Subjects,
} from "@switchyard/common";
import type { Registry } from "prom-client";
import { createCircuitKeeper } from "./circuit-keeper.js";
import { createRouterMetrics } from "./metrics.js";
import { createRouterStage } from "./stage.js";

export interface RouterWorker {
  handler: StageHandler;
  close: () => Promise<void>;
}

export async function createRouterWorker(deps: {
  gateway: GatewayConfig;
  nc: NatsConnection;
  subjects: Subjects;
  log: Logger;
  instance: string;
  registry?: Registry;
}): Promise<RouterWorker> {
  const catalog = buildCatalog(deps.gateway, deps.log);
  const kv = await openRouteStats(deps.nc, deps.subjects.prefix);
  const view = createRouteStatsView({ kv, log: deps.log });
  await view.ready;
  // A deployment in several aliases takes the first alias's circuit settings.
  const configs = new Map<string, CircuitConfig>();
  for (const entry of catalog.values())
    for (const d of entry.deployments) if (!configs.has(d.id)) configs.set(d.id, entry.circuit);
  const metrics =
    deps.registry === undefined ? undefined : createRouterMetrics(deps.registry, view, [...configs.keys()]);
  const keeper = createCircuitKeeper({
    view,
    configs,
    instance: deps.instance,
    log: deps.log,
    onChange: metrics?.circuitChanged,
  });
  return {
    handler: createRouterStage({ catalog, view, decided: metrics?.decided }),
    close: () => {
      keeper.close();
      view.close();
      return Promise.resolve();
    },
  };
}

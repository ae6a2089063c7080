// The router's metrics: decisions by alias, policy and the deployment put first; circuit
// changes this replica made; and each deployment's circuit as every replica sees it (read from
// the shared view when scraped).
import { Counter, Gauge, type Registry } from "prom-client";
import type { DeploymentStats, RouteStatsView } from "@switchyard/common";

export interface RouterMetrics {
  decided: (alias: string, policy: string, deployment: string) => void;
  circuitChanged: (deployment: string, state: "open" | "closed") => void;
}

export function createRouterMetrics(
  registry: Registry,
  view: RouteStatsView,
  deployments: string[],
): RouterMetrics {
  const decisions = new Counter({
    name: "switchyard_router_decisions_total",
    help: "Routing decisions, by alias, policy and the deployment put first",
    labelNames: ["alias", "policy", "deployment"],
    registers: [registry],
  });
  const changes = new Counter({
    name: "switchyard_router_circuit_changes_total",
    help: "Circuit changes this replica wrote, by deployment and new state",
    labelNames: ["deployment", "state"],
    registers: [registry],
  });
  new Gauge({
    name: "switchyard_router_circuit_state",
    help: "Each deployment's circuit as the shared state says: 0 closed, 1 half-open, 2 open",
    labelNames: ["deployment"],
    registers: [registry],
    collect() {
      for (const d of deployments) {
        const phase = view.circuit(d).phase;
        this.set({ deployment: d }, phase === "open" ? 2 : phase === "half_open" ? 1 : 0);
      }
    },
  });
  // What every decision weighs, per deployment, as the merged statistics say when scraped.
  const figures: [string, string, (s: DeploymentStats) => number][] = [
    ["latency_p95_ms", "Recent p95 upstream latency (10 s), ms; absent when too few answers", (s) => s.p95Ms],
    ["latency_decayed_ms", "Time-decayed mean upstream latency, ms", (s) => s.decayedMs],
    ["ttft_p95_ms", "Recent p95 time to first token of streams, ms", (s) => s.ttftP95Ms],
    ["error_rate", "Share of recent attempts (10 s) that failed or got a 429", (s) => s.errorRate],
    ["in_flight", "Upstream calls in flight, every provider replica's", (s) => s.inFlight],
  ];
  for (const [name, help, pick] of figures)
    new Gauge({
      name: `switchyard_router_deployment_${name}`,
      help,
      labelNames: ["deployment"],
      registers: [registry],
      collect() {
        this.reset();
        for (const d of deployments) {
          const v = pick(view.stats(d));
          if (Number.isFinite(v)) this.set({ deployment: d }, v);
        }
      },
    });
  const bound = new Map<string, { inc(): void }>();
  return {
    decided(alias, policy, deployment) {
      const k = `${alias}\u0000${policy}\u0000${deployment}`;
      let child = bound.get(k);
      if (child === undefined) bound.set(k, (child = decisions.labels(alias, policy, deployment)));
      child.inc();
    },
    circuitChanged: (deployment, state) => changes.labels(deployment, state).inc(),
  };
}

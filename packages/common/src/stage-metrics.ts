// A stage's metrics with their label values bound once: prom-client hashes a label set on
// every call otherwise, and a stage counts several times per request.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export interface StageMetrics {
  outcome(name: string): void;
  inFlight: { inc(): void; dec(): void };
  duration: { observe(seconds: number): void };
}

/** The metric objects, one per registry (a process may run several stages). */
const perRegistry = new WeakMap<Registry, { processed: Counter; duration: Histogram; inFlight: Gauge }>();

function metricsOf(registry: Registry) {
  let m = perRegistry.get(registry);
  if (m === undefined) {
    m = {
      processed: new Counter({
        name: "switchyard_stage_messages_total",
        help: "Envelopes handled by this stage, by outcome",
        labelNames: ["stage", "outcome"],
        registers: [registry],
      }),
      duration: new Histogram({
        name: "switchyard_stage_processing_seconds",
        help: "Time spent inside the stage per envelope",
        labelNames: ["stage"],
        buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1, 5, 30],
        registers: [registry],
      }),
      inFlight: new Gauge({
        name: "switchyard_stage_in_flight",
        help: "Envelopes being processed now",
        labelNames: ["stage"],
        registers: [registry],
      }),
    };
    perRegistry.set(registry, m);
  }
  return m;
}

export function stageMetrics(registry: Registry, stage: string): StageMetrics {
  const m = metricsOf(registry);
  const outcomes = new Map<string, { inc(): void }>();
  return {
    outcome(name) {
      let child = outcomes.get(name);
      if (child === undefined) {
        child = m.processed.labels(stage, name);
        outcomes.set(name, child);
      }
      child.inc();
    },
    inFlight: m.inFlight.labels(stage),
    duration: m.duration.labels(stage),
  };
}

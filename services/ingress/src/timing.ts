// Per-stage processing time, as each stage recorded it in the envelope: reported to the client
// in `x-switchyard-timing` (Server-Timing syntax, milliseconds) and as a histogram; and the
// count of requests whose stage replica was lost.
import type { StageTiming } from "@switchyard/proto";
import { Counter, Histogram, type Registry } from "prom-client";

export function timingHeader(timings: readonly StageTiming[]): string {
  return timings.map((t) => `${t.stage};dur=${(t.processingUs / 1000).toFixed(3)}`).join(", ");
}

export function createStageHistogram(registry: Registry): (timings: readonly StageTiming[]) => void {
  const h = new Histogram({
    name: "switchyard_request_stage_seconds",
    help: "Processing time of each stage for finished requests, as reported in the envelope",
    labelNames: ["stage"],
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1, 5, 30],
    registers: [registry],
  });
  // Label values bound once per stage: prom-client hashes the label set on every call otherwise.
  const byStage = new Map<string, { observe(v: number): void }>();
  return (timings) => {
    for (const t of timings) {
      let child = byStage.get(t.stage);
      if (child === undefined) {
        child = h.labels(t.stage);
        byStage.set(t.stage, child);
      }
      child.observe(t.processingUs / 1e6);
    }
  };
}

/** Requests whose stage replica was lost: sent again, or ended with a retryable error. */
export function lossCounter(registry: Registry): (outcome: "retried" | "failed") => void {
  const c = new Counter({
    name: "switchyard_requests_lost_total",
    help: "Requests whose holding stage replica stopped reporting them, by what ingress did",
    labelNames: ["outcome"],
    registers: [registry],
  });
  const retried = c.labels("retried");
  const failed = c.labels("failed");
  return (outcome) => (outcome === "retried" ? retried : failed).inc();
}

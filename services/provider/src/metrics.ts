// The provider's own metrics, beside the stage runner's: every upstream call (an attempt), by
// deployment and by what followed it. Label values are bound once per pair, as the stage
// metrics do, rather than hashed on every call.
import { Counter, type Registry } from "prom-client";

/**
 * ok: it answered; retried: it failed and the same deployment is tried again; fell_back: it
 * failed and the next deployment is tried; failed: it failed and the request ends with its error
 * (not retryable, the last deployment, the client gone, the deadline, or a stream cut after
 * its first chunk).
 */
export type AttemptOutcome = "ok" | "retried" | "fell_back" | "failed";

export type AttemptMetrics = (deployment: string, outcome: AttemptOutcome) => void;

export function createAttemptMetrics(registry: Registry): AttemptMetrics {
  const attempts = new Counter({
    name: "switchyard_provider_attempts_total",
    help: "Upstream calls, by deployment and what followed (ok, retried, fell_back, failed)",
    labelNames: ["deployment", "outcome"],
    registers: [registry],
  });
  const bound = new Map<string, Map<AttemptOutcome, { inc(): void }>>();
  return (deployment, outcome) => {
    let byOutcome = bound.get(deployment);
    if (byOutcome === undefined)
      bound.set(deployment, (byOutcome = new Map<AttemptOutcome, { inc(): void }>()));
    let child = byOutcome.get(outcome);
    if (child === undefined) byOutcome.set(outcome, (child = attempts.labels(deployment, outcome)));
    child.inc();
  };
}

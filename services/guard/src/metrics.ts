// The guard's own metrics, beside the stage runner's: what it found, how often a screening ran
// out of time (and how the fail mode ended it), and what the model layer answered.
import { guardActionName } from "@switchyard/common";
import { Counter, type Registry } from "prom-client";
import type { Screening } from "./policy.js";

export type GuardMetrics = (screening: Screening) => void;

export function createGuardMetrics(registry: Registry): GuardMetrics {
  const findings = new Counter({
    name: "switchyard_guard_findings_total",
    help: "Findings of the guard, by kind and the action the policy took",
    labelNames: ["kind", "action"],
    registers: [registry],
  });
  const overBudget = new Counter({
    name: "switchyard_guard_budget_exceeded_total",
    help: "Screenings that ran out of their time budget, by how the fail mode ended them",
    labelNames: ["fail_mode"],
    registers: [registry],
  });
  const model = new Counter({
    name: "switchyard_guard_model_total",
    help: "Screenings the model layer was asked about, by its answer (ok, timeout, busy, error)",
    labelNames: ["outcome"],
    registers: [registry],
  });
  return (screening) => {
    if (screening.model !== undefined) model.inc({ outcome: screening.model });
    for (const f of screening.findings)
      findings.inc({ kind: f.kind, action: guardActionName(f.action) }, f.count);
    if (screening.budgetExceeded !== undefined) overBudget.inc({ fail_mode: screening.budgetExceeded });
  };
}

// The time a screening may take. Detectors are linear, but a request may be large (the body
// limit is megabytes): past the budget the guard stops scanning and the policy decides, fail
// open (pass what was screened so far, flagged) or fail closed (block).
export interface ScreeningBudget {
  readonly budgetMs: number;
  /** True once the budget is spent (and from then on). */
  spent(): boolean;
  /** Milliseconds spent so far. */
  elapsedMs(): number;
}

export function startBudget(budgetMs: number, now: () => number = () => performance.now()): ScreeningBudget {
  const started = now();
  const until = started + budgetMs;
  let spent = false;
  return {
    budgetMs,
    spent: () => (spent ||= now() > until),
    elapsedMs: () => now() - started,
  };
}

// What a chain's steps refer to, and which step comes next: pure functions over the run's
// context, safe inside a workflow (deterministic, no I/O, no Node modules).
import type { ChainStepConfig } from "@switchyard/common/chain-config";

/** What templates and conditions see: the inputs, each finished step's output, a map's item. */
export interface ChainContext {
  inputs: Record<string, unknown>;
  steps: Record<string, { output: unknown }>;
  item?: unknown;
  index?: number;
}

/** A path's value ("steps.extract.output.items", "inputs.text", "item.name", "index"); undefined when absent. */
export function resolvePath(ctx: ChainContext, path: string): unknown {
  let value: unknown = ctx;
  for (const part of path.split(".")) {
    if (value === null || typeof value !== "object") return undefined;
    value =
      Array.isArray(value) && /^\d+$/.test(part)
        ? value[Number(part)]
        : (value as Record<string, unknown>)[part];
  }
  return value;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The id of the step after `step`, or undefined when the chain ends. */
export function nextStep(
  step: ChainStepConfig,
  steps: readonly ChainStepConfig[],
  ctx: ChainContext,
): string | undefined {
  const following = (): string | undefined => steps[steps.findIndex((s) => s.id === step.id) + 1]?.id;
  const target = (id: string): string | undefined => (id === "end" ? undefined : id);
  if (step.next === undefined) return following();
  if (typeof step.next === "string") return target(step.next);
  for (const branch of step.next) {
    if ("otherwise" in branch) return target(branch.otherwise);
    const value = resolvePath(ctx, branch.when);
    const taken =
      branch.equals !== undefined
        ? same(value, branch.equals)
        : branch.in !== undefined
          ? branch.in.some((v) => same(value, v))
          : Boolean(value);
    if (taken) return target(branch.goto);
  }
  return following();
}

// One workflow per chain run: run a step (an activity through the pipeline), record it, choose
// the next by the step's condition, until the chain ends or a step fails. A map step runs its
// items a few at a time, each its own activity. The workflow holds only ids, outputs and
// usage; an orchestrator that dies mid-step is noticed by the missing heartbeat and the step
// runs again elsewhere under the same request ids (billed once).
import { log, proxyActivities } from "@temporalio/workflow";
import type { ChainWorkflowInput } from "@switchyard/common/chain-workflow";
import type { ChainActivities, StepAnswer } from "../chains/activities.js";
import { nextStep, resolvePath, type ChainContext } from "../chains/chain-paths.js";

/** Steps one run may take (a loop through `next` ends here). */
const MAX_STEPS_RUN = 50;
/** Items of one map step. */
const MAX_MAP_ITEMS = 100;
/** Items of a map step in flight at once. */
const MAP_IN_FLIGHT = 4;

const RETRY = { initialInterval: "1 second", maximumInterval: "30 seconds", backoffCoefficient: 2 } as const;

const { runChainStep } = proxyActivities<ChainActivities>({
  startToCloseTimeout: "30 minutes",
  heartbeatTimeout: "10 seconds",
  retry: RETRY,
});
const { recordChainStep, endChain } = proxyActivities<ChainActivities>({
  startToCloseTimeout: "1 minute",
  retry: RETRY,
});

const failure = (code: string, message: string): StepAnswer => ({
  ok: false,
  error: { code, message },
  attempts: 0,
  usage: { inputTokens: 0, cachedTokens: 0, outputTokens: 0, reasoningTokens: 0 },
  costNanoUsd: "0",
  requestIds: [],
});

function combine(parts: readonly StepAnswer[]): StepAnswer {
  const failed = parts.find((p) => !p.ok);
  const sum = (pick: (p: StepAnswer) => number): number => parts.reduce((n, p) => n + pick(p), 0);
  return {
    ok: failed === undefined,
    output: parts.map((p) => p.output),
    error: failed?.error,
    attempts: sum((p) => p.attempts),
    usage: {
      inputTokens: sum((p) => p.usage.inputTokens),
      cachedTokens: sum((p) => p.usage.cachedTokens),
      outputTokens: sum((p) => p.usage.outputTokens),
      reasoningTokens: sum((p) => p.usage.reasoningTokens),
    },
    costNanoUsd: parts.reduce((c, p) => c + BigInt(p.costNanoUsd), 0n).toString(),
    requestIds: parts.flatMap((p) => p.requestIds),
  };
}

export async function chainWorkflow(input: ChainWorkflowInput): Promise<void> {
  const ref = { runId: input.runId, tenantId: input.tenantId, keyId: input.keyId };
  const ctx: ChainContext = { inputs: input.inputs, steps: {} };
  let stepId: string | undefined = input.chain.steps[0]!.id;
  let last: unknown;
  for (let ran = 0; stepId !== undefined; ran++) {
    if (ran === MAX_STEPS_RUN) {
      const error = { code: "too_many_steps", message: `the run took ${MAX_STEPS_RUN} steps without ending` };
      await endChain({ ...ref, status: "failed", error });
      return;
    }
    const step = input.chain.steps.find((s) => s.id === stepId)!;
    let answer: StepAnswer;
    if (step.map === undefined) answer = await runChainStep({ ...ref, step, ctx });
    else {
      const list = resolvePath(ctx, step.map);
      if (!Array.isArray(list)) answer = failure("not_a_list", `${step.map} is not a list`);
      else if (list.length > MAX_MAP_ITEMS)
        answer = failure(
          "too_many_items",
          `${step.map} has ${list.length} items; a map step takes at most ${MAX_MAP_ITEMS}`,
        );
      else {
        const parts: StepAnswer[] = new Array<StepAnswer>(list.length);
        let next = 0;
        const worker = async (): Promise<void> => {
          while (next < list.length) {
            const i = next++;
            parts[i] = await runChainStep({
              ...ref,
              step,
              ctx: { ...ctx, item: list[i], index: i },
              part: i,
            });
          }
        };
        await Promise.all(Array.from({ length: Math.min(MAP_IN_FLIGHT, list.length) }, worker));
        answer = combine(parts);
      }
    }
    await recordChainStep({ runId: ref.runId, tenantId: ref.tenantId, stepId: step.id, answer });
    if (!answer.ok) {
      log.info("chain step failed", { step: step.id, error: answer.error });
      await endChain({ ...ref, status: "failed", error: answer.error });
      return;
    }
    ctx.steps[step.id] = { output: answer.output };
    last = answer.output;
    stepId = nextStep(step, input.chain.steps, ctx);
  }
  const output = input.chain.output === undefined ? last : ctx.steps[input.chain.output]?.output;
  await endChain({ ...ref, status: "completed", output });
}

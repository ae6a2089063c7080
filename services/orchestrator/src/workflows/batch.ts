// One workflow per batch: prepare it (validate, split into pages), run its pages a few at a
// time, and finish it (output and error files, final status). Pages are activities that
// heartbeat, so a dead orchestrator's page is run again elsewhere (its finished lines kept).
// After `pagesPerRun` pages, or when Temporal suggests it, the workflow continues as new with
// where it stopped, so a 50,000-line batch stays far inside Temporal's history limits. A cancel
// signal or the completion window's end stops new pages and cancels the running ones.
import {
  ActivityCancellationType,
  CancellationScope,
  condition,
  continueAsNew,
  defineSignal,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from "@temporalio/workflow";
import { BATCH_CANCEL_SIGNAL, type BatchWorkflowInput } from "@switchyard/common/batch-workflow";
import type { BatchActivities, Ending } from "../batches/activities.js";

const RETRY = { initialInterval: "1 second", maximumInterval: "30 seconds", backoffCoefficient: 2 } as const;

const { prepareBatch, finishBatch } = proxyActivities<BatchActivities>({
  startToCloseTimeout: "30 minutes",
  heartbeatTimeout: "30 seconds",
  retry: RETRY,
});

const { runPage } = proxyActivities<BatchActivities>({
  startToCloseTimeout: "6 hours",
  // A page's orchestrator that died is noticed this fast (and the page run again elsewhere).
  heartbeatTimeout: "5 seconds",
  // Cancelled pages tell when they stopped, so the batch's end sees every result they stored.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: RETRY,
});

export const cancelBatch = defineSignal(BATCH_CANCEL_SIGNAL);

export async function batchWorkflow(input: BatchWorkflowInput): Promise<void> {
  const ref = { batchId: input.batchId, tenantId: input.tenantId };
  let cancelRequested = input.resume?.cancelRequested ?? false;
  setHandler(cancelBatch, () => {
    cancelRequested = true;
  });
  let expired = false;
  const expiry = new CancellationScope();
  void expiry
    .run(() => sleep(Math.max(1, input.deadlineUnixMs - Date.now())))
    .then(
      () => (expired = true),
      () => undefined,
    );
  const stopping = (): boolean => cancelRequested || expired;

  const plan = input.resume ?? { ...(await prepareBatch(ref)), nextPage: 0, cancelRequested: false };
  if ("failed" in plan && plan.failed) {
    expiry.cancel();
    return;
  }
  let nextPage = plan.nextPage;
  const running = new Map<number, CancellationScope>();
  let startedThisRun = 0;

  while (nextPage < plan.pages && !stopping()) {
    await condition(() => running.size < plan.pagesInFlight || stopping());
    if (stopping()) break;
    if (startedThisRun >= plan.pagesPerRun || workflowInfo().continueAsNewSuggested) {
      await condition(() => running.size === 0 || stopping());
      if (stopping()) break;
      expiry.cancel();
      await continueAsNew<typeof batchWorkflow>({ ...input, resume: { ...plan, nextPage, cancelRequested } });
    }
    const page = nextPage++;
    startedThisRun++;
    const scope = new CancellationScope();
    running.set(page, scope);
    scope
      .run(() => runPage({ ...ref, page }))
      .catch((err: unknown) => {
        if (!isCancellation(err)) log.error("a page of the batch failed for good", { page, err });
      })
      .finally(() => running.delete(page));
  }
  if (stopping()) for (const scope of running.values()) scope.cancel();
  await condition(() => running.size === 0);
  expiry.cancel();
  const ending: Ending = cancelRequested ? "cancelled" : expired ? "expired" : "completed";
  await finishBatch({ ...ref, pages: plan.pages, ending });
}

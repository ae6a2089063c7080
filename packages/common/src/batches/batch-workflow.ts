// What the API (in ingress) and the orchestrator agree on about a batch's Temporal workflow:
// names, the task queue, the input, the cancel signal, and the search attributes the Temporal
// UI finds a tenant's batches by. Plain values, so neither side needs the other's code.

export const BATCH_WORKFLOW_TYPE = "batchWorkflow";
export const BATCH_CANCEL_SIGNAL = "cancel";

/** One task queue per subject prefix: two gateways can share a Temporal namespace. */
export const orchestratorTaskQueue = (prefix: string): string => `${prefix}.orchestrator`;
/** Workflow ids carry the prefix for the same reason. */
export const batchWorkflowId = (prefix: string, batchId: string): string => `${prefix}.${batchId}`;

/** Keyword search attributes, registered by the orchestrator (and the local dev server). */
export const SEARCH_ATTRIBUTES = {
  tenant: "SwitchyardTenant",
  batchId: "SwitchyardBatchId",
  kind: "SwitchyardKind",
} as const;

export interface BatchWorkflowInput {
  batchId: string;
  tenantId: string;
  /** Unix milliseconds: lines not run by then end as batch_expired. */
  deadlineUnixMs: number;
  /** Set when the workflow continues as new: where the previous run stopped. */
  resume?: {
    pages: number;
    nextPage: number;
    cancelRequested: boolean;
    pagesInFlight: number;
    pagesPerRun: number;
  };
}

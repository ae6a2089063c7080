// The workflows this orchestrator runs (bundled by the Temporal worker: only deterministic
// code and @temporalio/workflow here).
export { batchWorkflow } from "./batch.js";
export { chainWorkflow } from "./chain.js";

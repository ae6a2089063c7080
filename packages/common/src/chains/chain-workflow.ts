// What the API (in ingress) and the orchestrator agree on about a chain run's Temporal
// workflow. Plain values, so neither side needs the other's code (see batch-workflow.ts).
import type { ChainConfig } from "./chain-config.js";

export const CHAIN_WORKFLOW_TYPE = "chainWorkflow";
export const chainWorkflowId = (prefix: string, runId: string): string => `${prefix}.${runId}`;

export interface ChainWorkflowInput {
  runId: string;
  tenantId: string;
  keyId: string;
  /** The chain as the config declared it when the run started: a config change does not move a running chain. */
  chain: ChainConfig;
  inputs: Record<string, unknown>;
}

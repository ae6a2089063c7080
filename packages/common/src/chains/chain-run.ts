// A run of a prompt chain as Switchyard keeps it (one JSON value in the chains KV bucket, key
// `r.<tenant>.<run id>`) and as the API shows it: status, each step's output, usage and cost
// per step and in total. The orchestrator's activities write it as the run moves; the API
// reads it, so a run can be watched while Temporal or the orchestrator restarts.
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { NO_USAGE, addUsage, type BatchUsage } from "../batches/batch-record.js";
import { kvRecords } from "../kv-records.js";
import { bucketName } from "../object-names.js";
import { keyToken } from "../route-stats/bucket.js";

export type ChainStatus = "running" | "completed" | "failed";

export interface ChainStepRun {
  id: string;
  status: ChainStatus;
  /** The answer: text, the parsed JSON of a schema step, or the list of a map step's answers. */
  output?: unknown;
  /** Prompts sent (more than one when an answer did not match the schema). */
  attempts: number;
  usage: BatchUsage;
  costNanoUsd: string;
  /** The request ids it ran under (one per attempt and map item). */
  requestIds: string[];
  error?: { code: string; message: string };
  startedAt: number;
  endedAt?: number;
}

export interface ChainRun {
  /** "chainrun_" and 24 random letters and digits. */
  id: string;
  tenantId: string;
  keyId: string;
  chain: string;
  version: number;
  status: ChainStatus;
  inputs: Record<string, unknown>;
  /** The steps run so far, in the order they ran. */
  steps: ChainStepRun[];
  output?: unknown;
  error?: { code: string; message: string };
  /** Unix milliseconds. */
  createdAt: number;
  endedAt?: number;
}

/** The run's usage and cost: the sum of its steps'. */
export function runTotals(run: ChainRun): { usage: BatchUsage; costNanoUsd: bigint } {
  return run.steps.reduce(
    (t, s) => ({ usage: addUsage(t.usage, s.usage), costNanoUsd: t.costNanoUsd + BigInt(s.costNanoUsd) }),
    { usage: NO_USAGE, costNanoUsd: 0n },
  );
}

const usageJson = (u: BatchUsage) => ({
  input_tokens: u.inputTokens,
  cached_tokens: u.cachedTokens,
  output_tokens: u.outputTokens,
  reasoning_tokens: u.reasoningTokens,
  total_tokens: u.inputTokens + u.outputTokens,
});

/** The run as the HTTP API shows it. */
export function chainRunJson(run: ChainRun): object {
  const totals = runTotals(run);
  return {
    id: run.id,
    object: "chain.run",
    chain: run.chain,
    version: run.version,
    status: run.status,
    inputs: run.inputs,
    output: run.output ?? null,
    error: run.error ?? null,
    created_at: Math.floor(run.createdAt / 1000),
    ended_at: run.endedAt === undefined ? null : Math.floor(run.endedAt / 1000),
    steps: run.steps.map((s) => ({
      id: s.id,
      status: s.status,
      output: s.output ?? null,
      attempts: s.attempts,
      usage: usageJson(s.usage),
      cost_usd: Number(s.costNanoUsd) / 1e9,
      request_ids: s.requestIds,
      error: s.error ?? null,
    })),
    usage: usageJson(totals.usage),
    cost_usd: Number(totals.costNanoUsd) / 1e9,
  };
}

export interface ChainRunStore {
  create(run: ChainRun): Promise<void>;
  /** The tenant's run, or undefined (another tenant's is undefined too). */
  get(tenantId: string, runId: string): Promise<ChainRun | undefined>;
  update(
    tenantId: string,
    runId: string,
    change: (r: ChainRun) => ChainRun | undefined,
  ): Promise<ChainRun | undefined>;
}

export function chainsBucketName(prefix: string): string {
  return bucketName(prefix, "chains");
}

const runKey = (tenantId: string, runId: string): string => `r.${keyToken(tenantId)}.${keyToken(runId)}`;

export async function openChainRunStore(nc: NatsConnection, prefix: string): Promise<ChainRunStore> {
  const records = kvRecords<ChainRun>(await new Kvm(nc).create(chainsBucketName(prefix), { history: 1 }));
  return {
    create: (run) => records.create(runKey(run.tenantId, run.id), run),
    get: (tenantId, runId) => records.get(runKey(tenantId, runId)),
    update: (tenantId, runId, change) => records.update(runKey(tenantId, runId), change),
  };
}

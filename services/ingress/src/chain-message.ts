// Chains as the gRPC door shows them: switchyard.v1.Chain and ChainRun, field for field as
// chains-api.ts and chainRunJson (common) give them over HTTP, with 0 and unset where that has
// null, and cost in exact nano-USD where HTTP has float dollars.
import { create, fromJson, type JsonObject, type JsonValue, type MessageInitShape } from "@bufbuild/protobuf";
import { ValueSchema, type Value } from "@bufbuild/protobuf/wkt";
import { runTotals, type BatchUsage, type ChainConfig, type ChainRun as RunRecord } from "@switchyard/common";
import {
  ChainRunSchema,
  ChainSchema,
  type Chain,
  type ChainRun,
  type ChainErrorSchema,
  type ChainUsageSchema,
} from "@switchyard/proto";

/** Unix seconds from unix milliseconds; 0 while unset. */
const seconds = (ms: number | undefined): bigint => BigInt(Math.floor((ms ?? 0) / 1000));

/** A JSON value (as the run's record holds it) as google.protobuf.Value; unset for undefined. */
function valueOf(json: unknown): Value | undefined {
  return json === undefined ? undefined : fromJson(ValueSchema, json as JsonValue);
}

function usageOf(u: BatchUsage): MessageInitShape<typeof ChainUsageSchema> {
  return {
    inputTokens: BigInt(u.inputTokens),
    cachedTokens: BigInt(u.cachedTokens),
    outputTokens: BigInt(u.outputTokens),
    reasoningTokens: BigInt(u.reasoningTokens),
    totalTokens: BigInt(u.inputTokens + u.outputTokens),
  };
}

const errorOf = (
  e: { code: string; message: string } | undefined,
): MessageInitShape<typeof ChainErrorSchema> | undefined =>
  e === undefined ? undefined : { code: e.code, message: e.message };

export function chainMessage(c: ChainConfig): Chain {
  return create(ChainSchema, {
    name: c.name,
    version: c.version,
    description: c.description ?? "",
    inputs: c.inputs,
    stepIds: c.steps.map((s) => s.id),
  });
}

export function chainRunMessage(run: RunRecord): ChainRun {
  const totals = runTotals(run);
  return create(ChainRunSchema, {
    id: run.id,
    chain: run.chain,
    version: run.version,
    status: run.status,
    output: valueOf(run.output),
    error: errorOf(run.error),
    createdAt: seconds(run.createdAt),
    endedAt: seconds(run.endedAt),
    steps: run.steps.map((s) => ({
      id: s.id,
      status: s.status,
      output: valueOf(s.output),
      attempts: s.attempts,
      usage: usageOf(s.usage),
      costNanoUsd: BigInt(s.costNanoUsd),
      requestIds: s.requestIds,
      error: errorOf(s.error),
    })),
    usage: usageOf(totals.usage),
    costNanoUsd: totals.costNanoUsd,
    inputs: run.inputs as JsonObject,
  });
}

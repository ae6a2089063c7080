// Events → table rows, one pure function per table. A row carries every column (ClickHouse
// 18.16 fills columns left out of JSONEachRow with zero values, not their DEFAULTs), times as
// unix seconds (independent of the server's time zone) and UInt64 money as decimal strings.
import { guardActionName } from "@switchyard/common";
import type { GuardResult, GuardVerdict, UsageEvent } from "@switchyard/proto";

export interface RequestRow {
  received_at: number;
  received_unix_ms: string;
  finished_unix_ms: string;
  request_id: string;
  door: string;
  tenant_id: string;
  team_id: string;
  key_id: string;
  key_hash_prefix: string;
  end_user: string;
  model: string;
  provider: string;
  deployment: string;
  upstream_model: string;
  route_policy: string;
  route_reason: string;
  status: string;
  http_status: number;
  stream: number;
  prompt_tokens: number;
  cached_read_tokens: number;
  cache_write_tokens: number;
  completion_tokens: number;
  reasoning_tokens: number;
  cost_nano_usd: string;
  cost_input_nano_usd: string;
  cost_output_nano_usd: string;
  latency_ms: number;
  ttft_ms: number;
  upstream_ms: number;
  stage_names: string[];
  stage_ms: number[];
  attempts: number;
  fallbacks: number;
  retries: number;
  guard_action: string;
  guard_output_action: string;
  guard_rules: string[];
  batch_id: string;
  chain_id: string;
  inserted_at: number;
}

export interface GuardVerdictRow {
  received_at: number;
  request_id: string;
  tenant_id: string;
  direction: string;
  action: string;
  finding_kinds: string[];
  finding_rules: string[];
  finding_actions: string[];
  finding_counts: number[];
  value_hashes: string[];
  inserted_at: number;
}

const UINT16_MAX = 0xffff;
const UINT32_MAX = 0xffff_ffff;
const clamp = (n: number, max: number): number => (n < 0 ? 0 : n > max ? max : Math.trunc(n));

/**
 * Unix seconds of an event, from its own time; `fallbackMs` (the JetStream message's time) when
 * the event has none. Deterministic for a given message, so redeliveries look up the same hour.
 */
export function eventSeconds(unixMs: bigint, fallbackMs: number): number {
  const ms = unixMs > 0n ? Number(unixMs) : fallbackMs;
  return Math.floor(ms / 1000);
}

const action = (g: GuardResult | undefined): string => (g === undefined ? "" : guardActionName(g.action));

export function requestRow(e: UsageEvent, fallbackMs: number, insertedAt: number): RequestRow {
  const u = e.usage;
  const receivedMs = e.receivedUnixMs > 0n ? e.receivedUnixMs : BigInt(fallbackMs);
  const finishedMs = e.finishedUnixMs > 0n ? e.finishedUnixMs : receivedMs;
  const rules: string[] = [];
  for (const g of [e.guard, e.guardOutput])
    for (const f of g?.findings ?? []) if (f.rule !== "" && !rules.includes(f.rule)) rules.push(f.rule);
  return {
    received_at: eventSeconds(e.receivedUnixMs, fallbackMs),
    received_unix_ms: receivedMs.toString(),
    finished_unix_ms: finishedMs.toString(),
    request_id: e.requestId,
    door: e.door,
    tenant_id: e.tenantId,
    team_id: e.teamId,
    key_id: e.keyId,
    key_hash_prefix: e.keyHashPrefix,
    end_user: e.endUser,
    model: e.model,
    provider: e.provider,
    deployment: e.deployment,
    upstream_model: e.upstreamModel,
    route_policy: e.routePolicy,
    route_reason: e.routeReason,
    status: e.status,
    http_status: clamp(e.httpStatus, UINT16_MAX),
    stream: e.stream ? 1 : 0,
    prompt_tokens: u?.promptTokens ?? 0,
    cached_read_tokens: u?.cachedTokens ?? 0,
    cache_write_tokens: clamp((u?.cacheWriteTokens ?? 0) + (u?.cacheWrite1hTokens ?? 0), UINT32_MAX),
    completion_tokens: u?.completionTokens ?? 0,
    reasoning_tokens: u?.reasoningTokens ?? 0,
    cost_nano_usd: e.costNanoUsd.toString(),
    cost_input_nano_usd: e.costInputNanoUsd.toString(),
    cost_output_nano_usd: e.costOutputNanoUsd.toString(),
    latency_ms: clamp(Number(finishedMs - receivedMs), UINT32_MAX),
    ttft_ms: e.ttftMs,
    upstream_ms: e.upstreamMs,
    stage_names: e.timings.map((t) => t.stage),
    stage_ms: e.timings.map((t) => t.processingUs / 1000),
    attempts: clamp(e.attempts, UINT16_MAX),
    fallbacks: clamp(e.fallbacks, UINT16_MAX),
    retries: clamp(e.retries, UINT16_MAX),
    guard_action: action(e.guard),
    guard_output_action: action(e.guardOutput),
    guard_rules: rules,
    batch_id: e.batchId,
    chain_id: e.chainId,
    inserted_at: insertedAt,
  };
}

export function guardVerdictRow(v: GuardVerdict, fallbackMs: number, insertedAt: number): GuardVerdictRow {
  const findings = v.result?.findings ?? [];
  return {
    received_at: eventSeconds(v.atUnixMs, fallbackMs),
    request_id: v.requestId,
    tenant_id: v.tenantId,
    direction: v.direction,
    action: action(v.result),
    finding_kinds: findings.map((f) => f.kind),
    finding_rules: findings.map((f) => f.rule),
    finding_actions: findings.map((f) => guardActionName(f.action)),
    finding_counts: findings.map((f) => f.count),
    // Parallel to the other finding arrays: each finding's hashes, comma-separated.
    value_hashes: findings.map((f) => f.valueHashes.join(",")),
    inserted_at: insertedAt,
  };
}

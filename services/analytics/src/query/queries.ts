// The query API's SQL, one builder per endpoint, and the shaping of the rows that come back.
// Builders are pure: checked parameters in, SQL text out (every value through ./sql.ts). SQL
// runs on ClickHouse 18.16 and current: integer bucket arithmetic in UTC instead of time-zone
// functions, aliases never equal to a column name (18.16 would substitute them into WHERE), and
// raw rows deduplicated per request id (argMax by inserted_at, as ReplacingMergeTree keeps).
import {
  ERROR_GROUPS,
  GUARD_GROUPS,
  LATENCY_GROUPS,
  MAX_ROWS,
  USAGE_GROUPS,
  type Filters,
  type Range,
} from "./params.js";
import { and, column, dateTime, eq, list, prefixed, q, str, table, uint, type Sql } from "./sql.js";

type GroupMap = Readonly<Record<string, string>>;

/** Columns of the filters, the same in `requests` and the rollup. */
const FILTER_COLUMNS = {
  tenant: "tenant_id",
  team: "team_id",
  key: "key_id",
  model: "model",
  deployment: "deployment",
} as const satisfies Record<keyof Filters, string>;

export interface Question {
  database: string;
  range: Range;
  /** The tenant wall (from the key) and the request's own filters. */
  filters: Filters;
  groupBy: readonly string[];
}

export interface Group {
  name: string;
  column: Sql;
}

export interface BuiltQuery {
  sql: Sql;
  /** The groups' columns in the rows, in order, with the API's names for them. */
  groups: Group[];
}

function timeAndFilters(timeColumn: Sql, range: Range, filters: Filters, allowed: GroupMap): Sql[] {
  const conds: Sql[] = [
    q`${timeColumn} >= ${dateTime(range.from, "from")}`,
    q`${timeColumn} < ${dateTime(range.to, "to")}`,
  ];
  for (const [name, value] of Object.entries(filters)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(allowed, name)) throw new Error(`${name} cannot filter this question`);
    conds.push(eq(column(FILTER_COLUMNS, name, name), value));
  }
  return conds;
}

function groupsOf(allowed: GroupMap, names: readonly string[]): Group[] {
  return names.map((name) => ({ name, column: column(allowed, name, "group_by") }));
}

/** `intDiv(toUInt32(col), width) * width AS bucket`, or nothing for totals. */
function bucketSelect(col: Sql, range: Range): Sql[] {
  if (range.bucket === undefined) return [];
  const w = uint(range.bucket, "granularity");
  return [q`intDiv(toUInt32(${col}), ${w}) * ${w} AS bucket`];
}

const cols = (groups: Group[]): Sql[] => groups.map((g) => g.column);
const keysOf = (range: Range, groups: Group[]): Sql[] => [
  ...(range.bucket === undefined ? [] : [q`bucket`]),
  ...cols(groups),
];
const limitRows = uint(MAX_ROWS + 1, "limit");

/** Spend, tokens, requests and errors per bucket and group, from the minute rollup. */
export function usageQuery(x: Question): BuiltQuery {
  const groups = groupsOf(USAGE_GROUPS, x.groupBy);
  const keys = keysOf(x.range, groups);
  const select = list([
    ...bucketSelect(q`minute`, x.range),
    ...cols(groups),
    q`countMerge(requests) AS n_requests`,
    q`sumMerge(errors) AS n_errors`,
    q`sumMerge(prompt_tokens) AS n_prompt_tokens`,
    q`sumMerge(completion_tokens) AS n_completion_tokens`,
    q`sumMerge(cost_nano_usd) AS n_cost_nano_usd`,
  ]);
  const where = and(timeAndFilters(q`minute`, x.range, x.filters, USAGE_GROUPS));
  return { sql: grouped(select, table(x.database, "requests_by_minute"), where, keys, keys), groups };
}

/** Latency and TTFT quantiles per bucket and group, merged from the rollup's t-digests. */
export function latencyQuery(x: Question): BuiltQuery {
  const groups = groupsOf(LATENCY_GROUPS, x.groupBy);
  const keys = keysOf(x.range, groups);
  const select = list([
    ...bucketSelect(q`minute`, x.range),
    ...cols(groups),
    q`countMerge(requests) AS n_requests`,
    q`quantilesTDigestMerge(0.5, 0.95, 0.99)(latency_ms) AS q_latency`,
    q`quantilesTDigestIfMerge(0.5, 0.95, 0.99)(ttft_ms) AS q_ttft`,
  ]);
  const where = and(timeAndFilters(q`minute`, x.range, x.filters, USAGE_GROUPS));
  return { sql: grouped(select, table(x.database, "requests_by_minute"), where, keys, keys), groups };
}

/** Requests by final status (HTTP status and error code), one count per request id. */
export function errorsQuery(x: Question): BuiltQuery {
  const groups = groupsOf(ERROR_GROUPS, x.groupBy);
  // Each request once: its latest row's values (duplicates are identical in practice).
  const inner = list([
    q`request_id`,
    q`argMax(received_at, inserted_at) AS d_at`,
    q`argMax(http_status, inserted_at) AS d_http_status`,
    q`argMax(status, inserted_at) AS d_status`,
    ...groups.map((g) => q`argMax(${g.column}, inserted_at) AS ${prefixed("d_", g.column)}`),
  ]);
  const where = and(timeAndFilters(q`received_at`, x.range, x.filters, ERROR_GROUPS));
  const deduped = q`(SELECT ${inner} FROM ${table(x.database, "requests")} WHERE ${where} GROUP BY request_id)`;
  const outerGroups = groups.map((g) => ({ name: g.name, column: prefixed("d_", g.column) }));
  const keys = [...keysOf(x.range, outerGroups), q`d_http_status`, q`d_status`];
  const select = list([
    ...bucketSelect(q`d_at`, x.range),
    ...cols(outerGroups),
    q`d_http_status`,
    q`d_status`,
    q`count() AS n_requests`,
  ]);
  const order = [...keysOf(x.range, outerGroups), q`n_requests DESC`, q`d_http_status`, q`d_status`];
  return { sql: grouped(select, deduped, q`1`, keys, order), groups: outerGroups };
}

/** Guard findings by rule and action (and direction), one screening per request and direction. */
export function guardQuery(x: Question): BuiltQuery {
  const groups = groupsOf(GUARD_GROUPS, x.groupBy);
  const inner = list([
    q`tenant_id`,
    q`request_id`,
    q`direction`,
    q`argMax(received_at, inserted_at) AS d_at`,
    q`argMax(finding_rules, inserted_at) AS d_rules`,
    q`argMax(finding_actions, inserted_at) AS d_actions`,
    q`argMax(finding_counts, inserted_at) AS d_counts`,
  ]);
  const where = and(timeAndFilters(q`received_at`, x.range, x.filters, GUARD_GROUPS));
  const from = q`(SELECT ${inner} FROM ${table(x.database, "guard_verdicts")} WHERE ${where} GROUP BY tenant_id, request_id, direction) ARRAY JOIN d_rules AS f_rule, d_actions AS f_action, d_counts AS f_count`;
  const keys = [...keysOf(x.range, groups), q`f_rule`, q`f_action`];
  const select = list([
    ...bucketSelect(q`d_at`, x.range),
    ...cols(groups),
    q`f_rule`,
    q`f_action`,
    q`sum(f_count) AS n_findings`,
    q`uniqExact(request_id, direction) AS n_screenings`,
    q`uniqExact(request_id) AS n_requests`,
  ]);
  const order = [...keysOf(x.range, groups), q`n_findings DESC`, q`f_rule`, q`f_action`];
  return { sql: grouped(select, from, q`1`, keys, order), groups };
}

const TOP_KEY_ORDER = { cost: "n_cost_nano_usd", requests: "n_requests" } as const;

/** The keys with the most spend or requests in the range (refused requests with no key left out). */
export function topKeysQuery(x: Question, by: keyof typeof TOP_KEY_ORDER, limit: number): BuiltQuery {
  const select = list([
    q`tenant_id`,
    q`key_id`,
    q`any(team_id) AS d_team_id`,
    q`countMerge(requests) AS n_requests`,
    q`sumMerge(errors) AS n_errors`,
    q`sumMerge(prompt_tokens) AS n_prompt_tokens`,
    q`sumMerge(completion_tokens) AS n_completion_tokens`,
    q`sumMerge(cost_nano_usd) AS n_cost_nano_usd`,
  ]);
  const where = and([
    ...timeAndFilters(q`minute`, x.range, x.filters, USAGE_GROUPS),
    q`key_id != ${str("")}`,
  ]);
  const first = column(TOP_KEY_ORDER, by, "by");
  const sql = q`SELECT ${select} FROM ${table(x.database, "requests_by_minute")} WHERE ${where} GROUP BY tenant_id, key_id ORDER BY ${first} DESC, tenant_id, key_id LIMIT ${uint(limit, "limit")}`;
  return { sql, groups: [] };
}

function grouped(select: Sql, from: Sql, where: Sql, keys: Sql[], order: Sql[]): Sql {
  const groupBy = keys.length === 0 ? q`` : q` GROUP BY ${list(keys)}`;
  const orderBy = order.length === 0 ? q`` : q` ORDER BY ${list(order)}`;
  return q`SELECT ${select} FROM ${from} WHERE ${where}${groupBy}${orderBy} LIMIT ${limitRows}`;
}

// ---- rows → JSON -------------------------------------------------------------------------

type Row = Record<string, unknown>;

/** ClickHouse's JSON quotes 64-bit integers; both shapes become numbers (null, for NaN, too). */
const num = (v: unknown): number => (typeof v === "number" ? v : v === null ? Number.NaN : Number(v));
const iso = (epochSeconds: number): string => new Date(epochSeconds * 1000).toISOString();

function head(row: Row, range: Range, groups: Group[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (range.bucket !== undefined) out.start = iso(num(row.bucket));
  for (const g of groups) out[g.name] = row[g.column];
  return out;
}

const usd = (nano: number): number => nano / 1e9;

export function usageRow(row: Row, range: Range, groups: Group[]) {
  const cost = num(row.n_cost_nano_usd);
  const prompt = num(row.n_prompt_tokens);
  const completion = num(row.n_completion_tokens);
  return {
    ...head(row, range, groups),
    requests: num(row.n_requests),
    errors: num(row.n_errors),
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    cost_nano_usd: cost,
    cost_usd: usd(cost),
  };
}

/**
 * Quantiles [p50, p95, p99] as an object. An empty digest is null: current servers answer NaN,
 * 18.16 answers zeros (which for TTFT, recorded only when above 0, also means no sample).
 */
function quantiles(v: unknown, zeroIsEmpty: boolean): { p50: number; p95: number; p99: number } | null {
  const a = Array.isArray(v) ? v.map(num) : [];
  if (a.length !== 3 || a.some((x) => !Number.isFinite(x))) return null;
  if (zeroIsEmpty && a.every((x) => x === 0)) return null;
  const r = (x: number): number => Math.round(x * 10) / 10;
  return { p50: r(a[0]!), p95: r(a[1]!), p99: r(a[2]!) };
}

export function latencyRow(row: Row, range: Range, groups: Group[]) {
  return {
    ...head(row, range, groups),
    requests: num(row.n_requests),
    latency_ms: quantiles(row.q_latency, false),
    ttft_ms: quantiles(row.q_ttft, true),
  };
}

export function errorsRow(row: Row, range: Range, groups: Group[]) {
  return {
    ...head(row, range, groups),
    http_status: num(row.d_http_status),
    status: String(row.d_status),
    requests: num(row.n_requests),
  };
}

export function guardRow(row: Row, range: Range, groups: Group[]) {
  return {
    ...head(row, range, groups),
    rule: String(row.f_rule),
    action: String(row.f_action),
    findings: num(row.n_findings),
    screenings: num(row.n_screenings),
    requests: num(row.n_requests),
  };
}

export function topKeyRow(row: Row) {
  const cost = num(row.n_cost_nano_usd);
  return {
    tenant: String(row.tenant_id),
    key: String(row.key_id),
    team: String(row.d_team_id),
    requests: num(row.n_requests),
    errors: num(row.n_errors),
    prompt_tokens: num(row.n_prompt_tokens),
    completion_tokens: num(row.n_completion_tokens),
    cost_nano_usd: cost,
    cost_usd: usd(cost),
  };
}

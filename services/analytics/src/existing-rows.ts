// The exactly-once check: which of a batch's rows ClickHouse already holds. A row is identified
// by its table's sorting key (tenant, arrival second, request id, and direction for verdicts),
// so the lookup reads only the granules of the batch's tenants and seconds, even for events
// replayed days late (each event is looked up at its own time).
import type { ClickHouseClient } from "@clickhouse/client";
import { sqlString, sqlUInt } from "./sql.js";

/** What identifies a row: the table's sorting key. */
export interface RowKey {
  tenant_id: string;
  /** Unix seconds. */
  received_at: number;
  request_id: string;
  direction?: string;
}

const HOUR = 3600;

/** One string per row identity. */
export function rowKey(r: RowKey): string {
  const base = `${r.tenant_id}\u0000${r.received_at}\u0000${r.request_id}`;
  return r.direction === undefined ? base : `${base}\u0000${r.direction}`;
}

/**
 * The SELECT that returns the stored rows among `rows`: one (tenant, time window) condition per
 * tenant and hour, each window only as wide as the batch's events in that hour, and the request
 * ids as one hex-encoded literal split on the server (one literal parses far faster than
 * thousands, and hex cannot hold the separator).
 */
export function existingRowsQuery(table: string, rows: readonly RowKey[], withDirection: boolean): string {
  const windows = new Map<string, { tenant: string; lo: number; hi: number }>();
  const ids = new Set<string>();
  for (const r of rows) {
    ids.add(r.request_id);
    const k = `${r.tenant_id}\u0000${Math.floor(r.received_at / HOUR)}`;
    const w = windows.get(k);
    if (w === undefined) windows.set(k, { tenant: r.tenant_id, lo: r.received_at, hi: r.received_at });
    else {
      if (r.received_at < w.lo) w.lo = r.received_at;
      if (r.received_at > w.hi) w.hi = r.received_at;
    }
  }
  const where = [...windows.values()]
    .map(
      (w) =>
        `(tenant_id = ${sqlString(w.tenant)} AND received_at >= toDateTime(${sqlUInt(w.lo, "received_at")}) AND received_at <= toDateTime(${sqlUInt(w.hi, "received_at")}))`,
    )
    .join(" OR ");
  const hex = [...ids].map((id) => Buffer.from(id, "utf8").toString("hex")).join(",");
  const direction = withDirection ? ", direction" : "";
  return (
    `SELECT tenant_id, toUInt32(received_at) AS received_at, request_id${direction} FROM ${table} ` +
    `WHERE (${where}) AND request_id IN (SELECT arrayJoin(arrayMap(x -> unhex(x), splitByChar(',', '${hex}'))))`
  );
}

/** The keys (rowKey) of the rows among `rows` that `table` already holds. */
export async function findExisting(
  client: ClickHouseClient,
  table: string,
  rows: readonly RowKey[],
  withDirection: boolean,
): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const result = await client.query({
    query: existingRowsQuery(table, rows, withDirection),
    format: "JSONEachRow",
    // A large batch makes a long query; the default limit (256 KiB) is for hand-written SQL.
    clickhouse_settings: { max_query_size: "67108864" },
  });
  const found = await result.json<RowKey>();
  return new Set(found.map((r) => rowKey({ ...r, received_at: Number(r.received_at) })));
}

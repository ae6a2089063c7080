// Retention without TTL (ClickHouse 18.16): every table is partitioned by month
// (toYYYYMM), and once a day the partitions of months before the kept window are dropped
// whole. `months` counts the current month: 13 keeps this month and the twelve before it.
import type { ClickHouseClient } from "@clickhouse/client";
import { sqlIdentifier, sqlString } from "./sql.js";

export const RETAINED_TABLES = ["requests", "guard_verdicts", "requests_by_minute"] as const;

/** The oldest month kept (YYYYMM) when `months` months are kept, counting `now`'s month. */
export function oldestKeptMonth(now: Date, months: number): number {
  if (!Number.isInteger(months) || months < 1)
    throw new Error(`retention months must be a positive integer, got ${months}`);
  const index = now.getUTCFullYear() * 12 + now.getUTCMonth() - (months - 1);
  return Math.floor(index / 12) * 100 + (index % 12) + 1;
}

export interface DroppedPartition {
  table: string;
  partition: string;
}

/** Drops the monthly partitions older than the window from the retained tables. */
export async function dropExpiredPartitions(
  client: ClickHouseClient,
  database: string,
  months: number,
  now: Date = new Date(),
): Promise<DroppedPartition[]> {
  const db = sqlIdentifier(database, "database");
  const oldest = oldestKeptMonth(now, months);
  const parts = await (
    await client.query({
      query: `SELECT DISTINCT table, partition_id FROM system.parts WHERE active AND database = ${sqlString(db)} AND table IN (${RETAINED_TABLES.map(sqlString).join(",")})`,
      format: "JSONEachRow",
    })
  ).json<{ table: string; partition_id: string }>();
  const dropped: DroppedPartition[] = [];
  for (const p of parts) {
    // Partition ids of toYYYYMM are the month's digits; anything else is not ours to drop.
    if (!/^\d{6}$/.test(p.partition_id) || Number(p.partition_id) >= oldest) continue;
    const table = sqlIdentifier(p.table, "table");
    await client.command({
      query: `ALTER TABLE ${db}.${table} DROP PARTITION ID ${sqlString(p.partition_id)}`,
    });
    dropped.push({ table, partition: p.partition_id });
  }
  return dropped;
}

// Batches as the API shows them, in a NATS KV bucket (one per subject prefix): the API writes a
// batch when it is created and when a cancel is asked for; the orchestrator's activities write
// its status as it moves, and each running page its progress. Reading needs neither Temporal
// nor a worker, so GET /v1/batches answers while the orchestrator restarts.
//
// Keys: `b.<tenant>.<batch id>` the record (so a tenant's batches are one key prefix and another
// tenant's id finds nothing), `p.<batch id>.<page>` a page's progress.
import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { keyToken } from "../route-stats/bucket.js";
import { NO_USAGE, addUsage, type BatchCounts, type BatchRecord, type BatchUsage } from "./batch-record.js";

export interface PageProgress {
  completed: number;
  failed: number;
  usage: BatchUsage;
}

export interface BatchStore {
  create(record: BatchRecord): Promise<void>;
  /** The tenant's batch, or undefined (another tenant's is undefined too). */
  get(tenantId: string, batchId: string): Promise<BatchRecord | undefined>;
  /**
   * Changes a batch by compare-and-set, trying again when another writer got there first;
   * `change` returns undefined to leave it as it is. Resolves to the record as it now is.
   */
  update(
    tenantId: string,
    batchId: string,
    change: (r: BatchRecord) => BatchRecord | undefined,
  ): Promise<BatchRecord | undefined>;
  /** The tenant's batches, newest first, after the batch `after` (a cursor) when given. */
  list(tenantId: string, opts: { after?: string; limit: number }): Promise<BatchRecord[]>;
  putProgress(batchId: string, page: number, progress: PageProgress): Promise<void>;
  /** The sum of the progress its pages reported. */
  progress(batchId: string): Promise<{ completed: number; failed: number; usage: BatchUsage }>;
  dropProgress(batchId: string): Promise<void>;
}

export function batchesBucketName(prefix: string): string {
  return `${prefix.replace(/[^A-Za-z0-9_-]/g, "_")}_batches`;
}

const recordKey = (tenantId: string, batchId: string): string =>
  `b.${keyToken(tenantId)}.${keyToken(batchId)}`;
const progressKey = (batchId: string, page: number): string => `p.${keyToken(batchId)}.${page}`;

const json = (v: unknown): string => JSON.stringify(v);

export async function openBatchStore(nc: NatsConnection, prefix: string): Promise<BatchStore> {
  const kv: KV = await new Kvm(nc).create(batchesBucketName(prefix), { history: 1 });

  async function read(key: string): Promise<{ record: BatchRecord; revision: number } | undefined> {
    const e = await kv.get(key);
    if (e === null || e.operation !== "PUT" || e.length === 0) return undefined;
    return { record: e.json<BatchRecord>(), revision: e.revision };
  }

  return {
    async create(record) {
      await kv.create(recordKey(record.tenantId, record.id), json(record));
    },
    async get(tenantId, batchId) {
      return (await read(recordKey(tenantId, batchId)))?.record;
    },
    async update(tenantId, batchId, change) {
      const key = recordKey(tenantId, batchId);
      for (;;) {
        const now = await read(key);
        if (now === undefined) return undefined;
        const next = change(now.record);
        if (next === undefined) return now.record;
        try {
          await kv.update(key, json(next), now.revision);
          return next;
        } catch (err) {
          // Another writer changed it since we read it: read it again and redo the change.
          if (!/wrong last sequence/i.test((err as Error).message)) throw err;
        }
      }
    },
    async list(tenantId, { after, limit }) {
      const keys: string[] = [];
      for await (const k of await kv.keys(`b.${keyToken(tenantId)}.*`)) keys.push(k);
      const records = (await Promise.all(keys.map((k) => read(k))))
        .filter((r) => r !== undefined)
        .map((r) => r.record)
        .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
      const from = after === undefined ? 0 : records.findIndex((r) => r.id === after) + 1;
      return records.slice(from, from + limit);
    },
    async putProgress(batchId, page, progress) {
      await kv.put(progressKey(batchId, page), json(progress));
    },
    async progress(batchId) {
      const keys: string[] = [];
      for await (const k of await kv.keys(`p.${keyToken(batchId)}.*`)) keys.push(k);
      const total: Omit<BatchCounts, "total"> & { usage: BatchUsage } = {
        completed: 0,
        failed: 0,
        usage: NO_USAGE,
      };
      for (const e of await Promise.all(keys.map((k) => kv.get(k)))) {
        if (e === null || e.operation !== "PUT" || e.length === 0) continue;
        const p = e.json<PageProgress>();
        total.completed += p.completed;
        total.failed += p.failed;
        total.usage = addUsage(total.usage, p.usage);
      }
      return total;
    },
    async dropProgress(batchId) {
      const keys: string[] = [];
      for await (const k of await kv.keys(`p.${keyToken(batchId)}.*`)) keys.push(k);
      await Promise.all(keys.map((k) => kv.purge(k)));
    },
  };
}

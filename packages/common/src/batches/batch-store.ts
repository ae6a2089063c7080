// Batches as the API shows them, in a NATS KV bucket (one per subject prefix): the API writes a
// batch when it is created and when a cancel is asked for; the orchestrator's activities write
// its status as it moves, and each running page its progress. Reading needs neither Temporal
// nor a worker, so GET /v1/batches answers while the orchestrator restarts.
//
// Keys: `b.<tenant>.<batch id>` the record (so a tenant's batches are one key prefix and another
// tenant's id finds nothing), `p.<batch id>.<page>` a page's progress.
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { kvRecords } from "../kv-records.js";
import { bucketName } from "../object-names.js";
import { keyToken } from "../route-stats/bucket.js";
import { NO_USAGE, addUsage, type BatchRecord, type BatchUsage } from "./batch-record.js";

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
  progress(batchId: string): Promise<PageProgress>;
  dropProgress(batchId: string): Promise<void>;
}

export function batchesBucketName(prefix: string): string {
  return bucketName(prefix, "batches");
}

const recordKey = (tenantId: string, batchId: string): string =>
  `b.${keyToken(tenantId)}.${keyToken(batchId)}`;
const progressKey = (batchId: string, page: number): string => `p.${keyToken(batchId)}.${page}`;

export async function openBatchStore(nc: NatsConnection, prefix: string): Promise<BatchStore> {
  const kv = await new Kvm(nc).create(batchesBucketName(prefix), { history: 1 });
  const records = kvRecords<BatchRecord>(kv);
  const pages = kvRecords<PageProgress>(kv);

  return {
    create: (record) => records.create(recordKey(record.tenantId, record.id), record),
    get: (tenantId, batchId) => records.get(recordKey(tenantId, batchId)),
    update: (tenantId, batchId, change) => records.update(recordKey(tenantId, batchId), change),
    async list(tenantId, { after, limit }) {
      const all = (await records.all(`b.${keyToken(tenantId)}.*`)).sort(
        (a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1),
      );
      const from = after === undefined ? 0 : all.findIndex((r) => r.id === after) + 1;
      return all.slice(from, from + limit);
    },
    async putProgress(batchId, page, progress) {
      await kv.put(progressKey(batchId, page), JSON.stringify(progress));
    },
    async progress(batchId) {
      const total: PageProgress = { completed: 0, failed: 0, usage: NO_USAGE };
      for (const p of await pages.all(`p.${keyToken(batchId)}.*`)) {
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

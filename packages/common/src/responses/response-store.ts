// The Responses door's bounded store: what `store: true` (OpenAI's default) keeps so a later call
// can continue it by `previous_response_id`, point at one of its items by `item_reference` (the
// Vercel AI SDK does so in tool loops), or read or delete it by id. NATS KV, one bucket per
// gateway, bounded in time (entries expire after `ttlSeconds`) and in size (past `maxBytes` the
// oldest go first); keys are tenant-scoped, so another tenant's id is simply not found.
import type { NatsConnection } from "@nats-io/transport-node";
import { Kvm, type KV } from "@nats-io/kv";
import { kvRecords } from "../kv-records.js";
import { bucketName } from "../object-names.js";
import { keyToken } from "../route-stats/bucket.js";

type Json = Record<string, unknown>;

export interface StoredResponse {
  /** The Response object as it was answered. */
  response: Json;
  /** The input items it answered (earlier turns included), then its output items. */
  conversation: unknown[];
}

export interface ResponseStore {
  /** Keeps the response, and each output item by its id. */
  save(tenantId: string, stored: StoredResponse): Promise<void>;
  get(tenantId: string, responseId: string): Promise<StoredResponse | undefined>;
  /** An output item of a stored response, by its id. */
  item(tenantId: string, itemId: string): Promise<unknown>;
  /** False when there was none. */
  delete(tenantId: string, responseId: string): Promise<boolean>;
}

export interface ResponseStoreOptions {
  ttlSeconds: number;
  maxBytes: number;
}

export const responsesBucketName = (prefix: string): string => bucketName(prefix, "responses");

const responseKey = (tenantId: string, id: string): string => `r.${keyToken(tenantId)}.${keyToken(id)}`;
const itemKey = (tenantId: string, id: string): string => `i.${keyToken(tenantId)}.${keyToken(id)}`;

async function openBucket(nc: NatsConnection, name: string, opts: ResponseStoreOptions): Promise<KV> {
  const kvm = new Kvm(nc);
  try {
    return await kvm.create(name, { history: 1, ttl: opts.ttlSeconds * 1000, max_bytes: opts.maxBytes });
  } catch (err) {
    // The bucket exists with other bounds (changed settings): use it as it is.
    if (!/already in use/i.test((err as Error).message)) throw err;
    return kvm.open(name);
  }
}

export async function openResponseStore(
  nc: NatsConnection,
  prefix: string,
  opts: ResponseStoreOptions,
): Promise<ResponseStore> {
  const kv = await openBucket(nc, responsesBucketName(prefix), opts);
  const responses = kvRecords<StoredResponse>(kv);
  const items = kvRecords<unknown>(kv);
  const itemIds = (s: StoredResponse): string[] =>
    (Array.isArray(s.response["output"]) ? (s.response["output"] as Json[]) : []).flatMap((o) =>
      typeof o["id"] === "string" ? [o["id"]] : [],
    );
  return {
    async save(tenantId, stored) {
      const id = String(stored.response["id"]);
      const output = Array.isArray(stored.response["output"]) ? (stored.response["output"] as Json[]) : [];
      await Promise.all([
        kv.put(responseKey(tenantId, id), JSON.stringify(stored)),
        ...output.flatMap((o) =>
          typeof o["id"] === "string" ? [kv.put(itemKey(tenantId, o["id"]), JSON.stringify(o))] : [],
        ),
      ]);
    },
    get: (tenantId, responseId) => responses.get(responseKey(tenantId, responseId)),
    item: (tenantId, itemId) => items.get(itemKey(tenantId, itemId)),
    async delete(tenantId, responseId) {
      const stored = await responses.get(responseKey(tenantId, responseId));
      if (stored === undefined) return false;
      await Promise.all([
        kv.delete(responseKey(tenantId, responseId)),
        ...itemIds(stored).map((id) => kv.delete(itemKey(tenantId, id))),
      ]);
      return true;
    },
  };
}

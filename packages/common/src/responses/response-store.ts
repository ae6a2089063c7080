// The Responses door's bounded store: what `store: true` (OpenAI's default) keeps so a later call
// can continue it by `previous_response_id`, point at one of its items by `item_reference` (the
// Vercel AI SDK does so in tool loops), or read or delete it by id. NATS KV, one bucket per
// gateway, bounded in time (entries expire after `ttlSeconds`) and in size (past `maxBytes` the
// oldest go first); keys are tenant-scoped, so another tenant's id is simply not found.
// Each response and each of its output items (with the response's model) is one entry.
import type { NatsConnection } from "@nats-io/transport-node";
import { DiscardPolicy, jetstreamManager } from "@nats-io/jetstream";
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

/** An output item as kept: with the model of the response it came from. */
export interface StoredItem {
  item: unknown;
  /** Undefined for items kept before items carried it (they expire with the TTL). */
  model: string | undefined;
}

export interface ResponseStore {
  /** Keeps the response, and each output item by its id. */
  save(tenantId: string, stored: StoredResponse): Promise<void>;
  get(tenantId: string, responseId: string): Promise<StoredResponse | undefined>;
  /** An output item of a stored response, by its id. */
  item(tenantId: string, itemId: string): Promise<StoredItem | undefined>;
  /** False when there was none. */
  delete(tenantId: string, responseId: string): Promise<boolean>;
}

export interface ResponseStoreOptions {
  ttlSeconds: number;
  maxBytes: number;
}

export const responsesBucketName = (prefix: string): string => bucketName(prefix, "responses");

const responseKey = (tenantId: string, id: string): string => `r.${keyToken(tenantId)}.${keyToken(id)}`;
/** An item with its response's model. */
const itemKey = (tenantId: string, id: string): string => `m.${keyToken(tenantId)}.${keyToken(id)}`;
/**
 * An item kept bare, by a gateway before items carried their model (read until they expire; a
 * gateway of that version does not read the new keys, so it finds no item rather than a
 * wrapper it would pass upstream as one).
 */
const bareItemKey = (tenantId: string, id: string): string => `i.${keyToken(tenantId)}.${keyToken(id)}`;

/**
 * The ids this door makes (`resp_<request id>`, `msg_…`, `fc_…_<n>`): anything else — empty,
 * too long for a NATS subject, other characters — cannot be stored here, so it is not found
 * without asking NATS (a 5,000-character id would otherwise cost the connection).
 */
const STORED_ID = /^[A-Za-z0-9_-]{1,200}$/;
export const storableId = (id: string): boolean => STORED_ID.test(id);

async function openBucket(nc: NatsConnection, name: string, opts: ResponseStoreOptions): Promise<KV> {
  const kvm = new Kvm(nc);
  let kv: KV;
  try {
    kv = await kvm.create(name, { history: 1, ttl: opts.ttlSeconds * 1000, max_bytes: opts.maxBytes });
  } catch (err) {
    // The bucket exists with other bounds (changed settings): use it as it is.
    if (!/already in use/i.test((err as Error).message)) throw err;
    kv = await kvm.open(name);
  }
  // A KV bucket refuses writes once full; this store drops its oldest entries instead, so a
  // full store goes on keeping the newest responses.
  const jsm = await jetstreamManager(nc);
  const stream = `KV_${name}`;
  const { config } = await jsm.streams.info(stream);
  if (config.discard !== DiscardPolicy.Old)
    await jsm.streams.update(stream, { ...config, discard: DiscardPolicy.Old });
  return kv;
}

export async function openResponseStore(
  nc: NatsConnection,
  prefix: string,
  opts: ResponseStoreOptions,
): Promise<ResponseStore> {
  const kv = await openBucket(nc, responsesBucketName(prefix), opts);
  const responses = kvRecords<StoredResponse>(kv);
  const items = kvRecords<{ model: string; item: unknown }>(kv);
  const bareItems = kvRecords<unknown>(kv);
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
          typeof o["id"] === "string"
            ? [
                kv.put(
                  itemKey(tenantId, o["id"]),
                  JSON.stringify({ model: String(stored.response["model"]), item: o }),
                ),
              ]
            : [],
        ),
      ]);
    },
    get: async (tenantId, responseId) =>
      storableId(responseId) ? responses.get(responseKey(tenantId, responseId)) : undefined,
    async item(tenantId, itemId) {
      if (!storableId(itemId)) return undefined;
      const kept = await items.get(itemKey(tenantId, itemId));
      if (kept !== undefined) return kept;
      const bare = await bareItems.get(bareItemKey(tenantId, itemId));
      return bare === undefined ? undefined : { item: bare, model: undefined };
    },
    async delete(tenantId, responseId) {
      if (!storableId(responseId)) return false;
      const stored = await responses.get(responseKey(tenantId, responseId));
      if (stored === undefined) return false;
      await Promise.all([
        kv.delete(responseKey(tenantId, responseId)),
        ...itemIds(stored).flatMap((id) => [
          kv.delete(itemKey(tenantId, id)),
          kv.delete(bareItemKey(tenantId, id)),
        ]),
      ]);
      return true;
    },
  };
}

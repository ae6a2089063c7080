// JSON records in a NATS KV bucket, changed by compare-and-set: the state of batches and chain
// runs that the API reads and the orchestrator's activities write, each from its own replica.
import type { KV } from "@nats-io/kv";

export interface KvRecords<T> {
  /** Fails when the key exists. */
  create(key: string, value: T): Promise<void>;
  get(key: string): Promise<T | undefined>;
  /**
   * Changes a record by compare-and-set, trying again when another writer got there first;
   * `change` returns undefined to leave it as it is. Resolves to the record as it now is
   * (undefined when there is none).
   */
  update(key: string, change: (value: T) => T | undefined): Promise<T | undefined>;
  /** The records whose keys match `filter` (KV wildcards). */
  all(filter: string): Promise<T[]>;
}

export function kvRecords<T>(kv: KV): KvRecords<T> {
  async function read(key: string): Promise<{ value: T; revision: number } | undefined> {
    const e = await kv.get(key);
    if (e === null || e.operation !== "PUT" || e.length === 0) return undefined;
    return { value: e.json<T>(), revision: e.revision };
  }
  return {
    async create(key, value) {
      await kv.create(key, JSON.stringify(value));
    },
    async get(key) {
      return (await read(key))?.value;
    },
    async update(key, change) {
      for (;;) {
        const now = await read(key);
        if (now === undefined) return undefined;
        const next = change(now.value);
        if (next === undefined) return now.value;
        try {
          await kv.update(key, JSON.stringify(next), now.revision);
          return next;
        } catch (err) {
          // Another writer changed it since we read it: read it again and redo the change.
          if (!/wrong last sequence/i.test((err as Error).message)) throw err;
        }
      }
    },
    async all(filter) {
      const keys: string[] = [];
      for await (const k of await kv.keys(filter)) keys.push(k);
      const values = await Promise.all(keys.map((k) => read(k)));
      return values.flatMap((v) => (v === undefined ? [] : [v.value]));
    },
  };
}

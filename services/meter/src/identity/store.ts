// Tenants, teams and API keys in Redis: the meter owns them. Each record is one JSON value;
// sets index them by tenant; `keyhash:<sha256>` finds a key by its secret's hash (a rotated-out
// secret's entry expires with its grace period). Writes that touch several entries are one
// MULTI, so a reader never sees half a change.
import { randomBytes } from "node:crypto";
import type { BudgetConfig, KeyScope } from "@switchyard/common";
import type { Redis } from "ioredis";

export type KeyStatus = "pending" | "active" | "revoked" | "expired";

/** Limits over the limit window (a minute): 0 for none. */
export interface Limits {
  rpm: number;
  tpm: number;
  concurrency: number;
}

export const NO_LIMITS: Limits = { rpm: 0, tpm: 0, concurrency: 0 };

/** While Redis cannot be reached: requests go on uncounted (open) or are answered 503 (closed). */
export interface StoreDownModes {
  limits: "open" | "closed";
  budgets: "open" | "closed";
}

export interface Tenant {
  id: string;
  name: string;
  limits: Limits;
  budget?: BudgetConfig;
  /** Served instead of refusing when a hard budget cannot cover a request. */
  overBudgetModel?: string;
  onStoreDown?: StoreDownModes;
  metadata: Record<string, string>;
  createdAt: number;
}

export interface Team {
  id: string;
  tenant: string;
  name: string;
  limits: Limits;
  budget?: BudgetConfig;
  metadata: Record<string, string>;
  createdAt: number;
}

export interface Key {
  id: string;
  tenant: string;
  /** "" when the key belongs to no team. */
  team: string;
  name: string;
  /** As stored: "expired" is worked out from `expiresAt` when the key is read. */
  status: Exclude<KeyStatus, "expired">;
  scopes: KeyScope[];
  models: string[];
  rpm: number;
  tpm: number;
  concurrency: number;
  /** Limits of this key with the models a pattern matches ("gpt-4o", "mock-*"). */
  modelLimits: Record<string, { rpm: number; tpm: number }>;
  budget?: BudgetConfig;
  /** Unix ms; 0 for never. */
  expiresAt: number;
  metadata: Record<string, string>;
  createdAt: number;
  /** Who made it: the gateway file (kept in step with it at every start) or the admin API. */
  source: "config" | "api";
  /** `sha256:<hex>` of the current secret. */
  hash: string;
  /** A rotated-out secret that still works until `previousUntil` (Unix ms). */
  previousHash: string;
  previousUntil: number;
}

/** The status callers see: a key past its expiry is expired whatever it was. */
export function statusOf(key: Key, now = Date.now()): KeyStatus {
  if (key.status === "active" && key.expiresAt > 0 && now >= key.expiresAt) return "expired";
  return key.status;
}

/** A new id with a readable prefix: `tn_`, `tm_`, `key_` and 16 random base32 characters. */
export function newId(prefix: string): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  return `${prefix}_${[...randomBytes(16)].map((b) => alphabet[b & 31]).join("")}`;
}

export interface IdentityStore {
  putTenant(t: Tenant): Promise<void>;
  getTenant(id: string): Promise<Tenant | undefined>;
  listTenants(): Promise<Tenant[]>;
  putTeam(t: Team): Promise<void>;
  getTeam(id: string): Promise<Team | undefined>;
  listTeams(tenant: string): Promise<Team[]>;
  /** Writes a key and points its secret hash (and a rotated-out one, for its grace) at it. */
  putKey(k: Key): Promise<void>;
  getKey(id: string): Promise<Key | undefined>;
  listKeys(tenant: string): Promise<Key[]>;
  /** The key behind a secret's hash, unless that secret's grace period has ended. */
  keyByHash(hash: string, now?: number): Promise<Key | undefined>;
}

export function createIdentityStore(redis: Redis, prefix: string): IdentityStore {
  const k = {
    tenant: (id: string) => `${prefix}:tenant:${id}`,
    tenants: `${prefix}:tenants`,
    team: (id: string) => `${prefix}:team:${id}`,
    teams: (tenant: string) => `${prefix}:teams:${tenant}`,
    key: (id: string) => `${prefix}:key:${id}`,
    keys: (tenant: string) => `${prefix}:keys:${tenant}`,
    hash: (h: string) => `${prefix}:keyhash:${h}`,
  };
  const parse = <T>(raw: string | null): T | undefined => (raw === null ? undefined : (JSON.parse(raw) as T));
  const many = async <T>(keys: string[]): Promise<T[]> =>
    keys.length === 0
      ? []
      : (await redis.mget(keys)).flatMap((raw) => (raw === null ? [] : [JSON.parse(raw) as T]));

  return {
    async putTenant(t) {
      await redis.multi().set(k.tenant(t.id), JSON.stringify(t)).sadd(k.tenants, t.id).exec();
    },
    getTenant: async (id) => parse<Tenant>(await redis.get(k.tenant(id))),
    listTenants: async () => many<Tenant>((await redis.smembers(k.tenants)).sort().map(k.tenant)),
    async putTeam(t) {
      await redis.multi().set(k.team(t.id), JSON.stringify(t)).sadd(k.teams(t.tenant), t.id).exec();
    },
    getTeam: async (id) => parse<Team>(await redis.get(k.team(id))),
    listTeams: async (tenant) => many<Team>((await redis.smembers(k.teams(tenant))).sort().map(k.team)),
    async putKey(key) {
      const before = parse<Key>(await redis.get(k.key(key.id)));
      const tx = redis.multi().set(k.key(key.id), JSON.stringify(key)).sadd(k.keys(key.tenant), key.id);
      tx.set(k.hash(key.hash), key.id);
      if (key.previousHash !== "" && key.previousUntil > Date.now())
        tx.set(k.hash(key.previousHash), key.id, "PXAT", key.previousUntil);
      // A secret the key no longer has stops finding it.
      for (const old of [before?.hash, before?.previousHash])
        if (old !== undefined && old !== "" && old !== key.hash && old !== key.previousHash)
          tx.del(k.hash(old));
      await tx.exec();
    },
    getKey: async (id) => parse<Key>(await redis.get(k.key(id))),
    listKeys: async (tenant) => many<Key>((await redis.smembers(k.keys(tenant))).sort().map(k.key)),
    async keyByHash(hash, now = Date.now()) {
      const id = await redis.get(k.hash(hash));
      if (id === null) return undefined;
      const key = parse<Key>(await redis.get(k.key(id)));
      if (key === undefined) return undefined;
      if (key.hash === hash) return key;
      return key.previousHash === hash && now < key.previousUntil ? key : undefined;
    },
  };
}

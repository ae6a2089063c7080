// The admin API's operations: tenants, teams and keys (create, list, read, change; revoke,
// rotate, approve a key) and usage for the current month. Every operation checks access first
// (access.ts); every change to a key is announced so ingress replicas forget it.
import { randomBytes, createHash } from "node:crypto";
import { GatewayError, KEY_SCOPES, type BudgetConfig, type KeyScope } from "@switchyard/common";
import type { Redis } from "ioredis";
import type { z } from "zod";
import type { KeyDirectory } from "../identity/directory.js";
import {
  NO_LIMITS,
  newId,
  statusOf,
  type IdentityStore,
  type Key,
  type Limits,
  type Team,
  type Tenant,
} from "../identity/store.js";
import { usdToNano } from "../budgets/gate.js";
import { standingOf } from "../budgets/ledger.js";
import { periodOf } from "../budgets/period.js";
import { monthOf, usageKeys } from "../usage-keys.js";
import { canSeeTenant, mustAdminister, mustBeAdmin, notFound, type Caller } from "./access.js";
import * as schema from "./schemas.js";

export interface AdminDeps {
  store: IdentityStore;
  directory: KeyDirectory;
  redis: Redis;
  prefix: string;
}

export interface Request {
  caller: Caller;
  params: string[];
  query: URLSearchParams;
  body: unknown;
}

export type Handler = (deps: AdminDeps, req: Request) => Promise<{ status: number; body: unknown }>;

const iso = (ms: number): string | null => (ms > 0 ? new Date(ms).toISOString() : null);

function parse<S extends z.ZodType>(s: S, body: unknown): z.infer<S> {
  const r = s.safeParse(body ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = (issue?.path ?? []).join(".");
  throw new GatewayError("invalid_argument", `${field || "body"}: ${issue?.message ?? "invalid"}`, { field });
}

/** Limits in a body, over what was there. */
const limitsOf = (b: Partial<Limits>, base: Limits = NO_LIMITS): Limits => ({
  rpm: b.rpm ?? base.rpm,
  tpm: b.tpm ?? base.tpm,
  concurrency: b.concurrency ?? base.concurrency,
});
const limitsJson = (l: Limits | undefined) => ({ ...NO_LIMITS, ...l });
/** An optional setting in a body over what was there (budget, over-budget model…): absent keeps it, null removes it. */
const settingOf = <T>(v: T | null | undefined, base: T | undefined): T | undefined =>
  v === undefined ? base : (v ?? undefined);

export const tenantJson = (t: Tenant) => ({
  id: t.id,
  name: t.name,
  ...limitsJson(t.limits),
  budget: t.budget ?? null,
  over_budget_model: t.overBudgetModel ?? null,
  on_store_down: t.onStoreDown ?? null,
  metadata: t.metadata,
  created_at: iso(t.createdAt),
});
export const teamJson = (t: Team) => ({
  id: t.id,
  tenant: t.tenant,
  name: t.name,
  ...limitsJson(t.limits),
  budget: t.budget ?? null,
  metadata: t.metadata,
  created_at: iso(t.createdAt),
});
export const keyJson = (k: Key) => ({
  id: k.id,
  tenant: k.tenant,
  team: k.team || null,
  name: k.name,
  status: statusOf(k),
  scopes: k.scopes,
  models: k.models,
  rpm: k.rpm,
  tpm: k.tpm ?? 0,
  concurrency: k.concurrency ?? 0,
  model_limits: k.modelLimits ?? {},
  budget: k.budget ?? null,
  expires_at: iso(k.expiresAt),
  metadata: k.metadata,
  created_at: iso(k.createdAt),
  source: k.source,
  previous_secret_valid_until: k.previousUntil > Date.now() ? iso(k.previousUntil) : null,
});

/** A new secret: shown once, stored only as its hash. */
function newSecret(): { secret: string; hash: string } {
  const secret = `sy-${randomBytes(32).toString("base64url")}`;
  return { secret, hash: `sha256:${createHash("sha256").update(secret).digest("hex")}` };
}

async function tenantOr404(d: AdminDeps, c: Caller, id: string): Promise<Tenant> {
  const t = await d.store.getTenant(id);
  if (t === undefined || !canSeeTenant(c, t.id)) throw notFound("tenant", id);
  return t;
}

async function teamOr404(d: AdminDeps, c: Caller, id: string): Promise<Team> {
  const t = await d.store.getTeam(id);
  if (t === undefined || !canSeeTenant(c, t.tenant)) throw notFound("team", id);
  return t;
}

async function keyOr404(d: AdminDeps, c: Caller, id: string): Promise<Key> {
  const k = await d.store.getKey(id);
  if (k === undefined || !canSeeTenant(c, k.tenant)) throw notFound("key", id);
  return k;
}

/** Scopes a caller may hand out: an admin any, a tenant admin all but `admin`. */
function grantable(c: Caller, scopes: readonly KeyScope[]): void {
  if (!c.admin && scopes.includes("admin"))
    throw new GatewayError("permission_denied", "only an admin key can grant the admin scope", {
      field: "scopes",
    });
}

async function saveKey(d: AdminDeps, key: Key, before?: Key): Promise<void> {
  await d.store.putKey(key);
  d.directory.changed({ keys: before === undefined ? [key] : [before, key] });
}

const p = (r: Request, i: number): string => r.params[i] ?? "";

export const handlers: Record<string, Handler> = {
  async listTenants(d, r) {
    const all = r.caller.admin ? await d.store.listTenants() : [await d.store.getTenant(r.caller.key.tenant)];
    return { status: 200, body: { data: all.flatMap((t) => (t ? [tenantJson(t)] : [])) } };
  },
  async createTenant(d, r) {
    mustBeAdmin(r.caller, "creating a tenant");
    const b = parse(schema.createTenant, r.body);
    const id = b.id ?? newId("tn");
    if ((await d.store.getTenant(id)) !== undefined)
      throw new GatewayError("conflict", `tenant ${JSON.stringify(id)} exists already`, { field: "id" });
    const t: Tenant = {
      id,
      name: b.name,
      limits: limitsOf(b),
      budget: settingOf(b.budget, undefined),
      overBudgetModel: b.over_budget_model ?? undefined,
      onStoreDown: b.on_store_down ?? undefined,
      metadata: b.metadata ?? {},
      createdAt: Date.now(),
    };
    await d.store.putTenant(t);
    return { status: 201, body: tenantJson(t) };
  },
  async getTenant(d, r) {
    return { status: 200, body: tenantJson(await tenantOr404(d, r.caller, p(r, 0))) };
  },
  async updateTenant(d, r) {
    const t = await tenantOr404(d, r.caller, p(r, 0));
    mustAdminister(r.caller, t.id, "tenant", t.id);
    const b = parse(schema.updateTenant, r.body);
    const next: Tenant = {
      ...t,
      name: b.name ?? t.name,
      limits: limitsOf(b, t.limits),
      budget: settingOf(b.budget, t.budget),
      overBudgetModel: settingOf(b.over_budget_model, t.overBudgetModel),
      onStoreDown: settingOf(b.on_store_down, t.onStoreDown),
      metadata: b.metadata ?? t.metadata,
    };
    await d.store.putTenant(next);
    d.directory.changed({ tenantIds: [t.id] });
    return { status: 200, body: tenantJson(next) };
  },

  async listTeams(d, r) {
    const tenant = r.query.get("tenant") ?? (r.caller.admin ? undefined : r.caller.key.tenant);
    const tenants =
      tenant === undefined
        ? (await d.store.listTenants()).map((t) => t.id)
        : canSeeTenant(r.caller, tenant)
          ? [tenant]
          : [];
    const teams = (await Promise.all(tenants.map((t) => d.store.listTeams(t)))).flat();
    return { status: 200, body: { data: teams.map(teamJson) } };
  },
  async createTeam(d, r) {
    const b = parse(schema.createTeam, r.body);
    mustAdminister(r.caller, b.tenant, "tenant", b.tenant);
    await tenantOr404(d, r.caller, b.tenant);
    const id = b.id ?? newId("tm");
    if ((await d.store.getTeam(id)) !== undefined)
      throw new GatewayError("conflict", `team ${JSON.stringify(id)} exists already`, { field: "id" });
    const t: Team = {
      id,
      tenant: b.tenant,
      name: b.name,
      limits: limitsOf(b),
      budget: settingOf(b.budget, undefined),
      metadata: b.metadata ?? {},
      createdAt: Date.now(),
    };
    await d.store.putTeam(t);
    return { status: 201, body: teamJson(t) };
  },
  async getTeam(d, r) {
    return { status: 200, body: teamJson(await teamOr404(d, r.caller, p(r, 0))) };
  },
  async updateTeam(d, r) {
    const t = await teamOr404(d, r.caller, p(r, 0));
    mustAdminister(r.caller, t.tenant, "team", t.id);
    const b = parse(schema.updateTeam, r.body);
    const next: Team = {
      ...t,
      name: b.name ?? t.name,
      limits: limitsOf(b, t.limits),
      budget: settingOf(b.budget, t.budget),
      metadata: b.metadata ?? t.metadata,
    };
    await d.store.putTeam(next);
    d.directory.changed({ teamIds: [t.id] });
    return { status: 200, body: teamJson(next) };
  },

  async listKeys(d, r) {
    const tenant = r.query.get("tenant") ?? r.caller.key.tenant;
    if (!canSeeTenant(r.caller, tenant)) return { status: 200, body: { data: [] } };
    mustAdminister(r.caller, tenant, "key", "");
    const team = r.query.get("team");
    const keys = (await d.store.listKeys(tenant)).filter((k) => team === null || k.team === team);
    return { status: 200, body: { data: keys.map(keyJson) } };
  },
  async createKey(d, r) {
    const c = r.caller;
    const b = parse(schema.createKey, r.body);
    const tenant = b.tenant ?? c.key.tenant;
    await tenantOr404(d, c, tenant);
    const isAdmin = c.admin || (c.tenantAdmin && c.key.tenant === tenant);
    // A team member may ask for a key for its own team; a tenant admin approves it.
    if (!isAdmin && (b.team ?? c.key.team) !== c.key.team)
      throw new GatewayError("permission_denied", "a key of a team may ask for keys of that team only", {
        field: "team",
      });
    const team = b.team ?? (isAdmin ? "" : c.key.team);
    if (team !== "") {
      const t = await d.store.getTeam(team);
      if (t === undefined || t.tenant !== tenant) throw notFound("team", team);
    }
    const scopes = b.scopes ?? ["chat", "embeddings", "batches"];
    grantable(c, scopes);
    if (!isAdmin && scopes.some((s) => s === "admin" || s === "tenant_admin"))
      throw new GatewayError("permission_denied", "a team member cannot ask for an admin key", {
        field: "scopes",
      });
    const { secret, hash } = newSecret();
    const key: Key = {
      id: newId("key"),
      tenant,
      team,
      name: b.name,
      status: isAdmin ? "active" : "pending",
      scopes,
      models: b.models ?? ["*"],
      rpm: b.rpm ?? 0,
      tpm: b.tpm ?? 0,
      concurrency: b.concurrency ?? 0,
      modelLimits: b.model_limits ?? {},
      budget: settingOf(b.budget, undefined),
      expiresAt: b.expires_at ? Date.parse(b.expires_at) : 0,
      metadata: b.metadata ?? {},
      createdAt: Date.now(),
      source: "api",
      hash,
      previousHash: "",
      previousUntil: 0,
    };
    await saveKey(d, key);
    return { status: 201, body: { ...keyJson(key), secret } };
  },
  async getKey(d, r) {
    const k = await keyOr404(d, r.caller, p(r, 0));
    // A member sees its own key only.
    if (k.id !== r.caller.key.id) mustAdminister(r.caller, k.tenant, "key", k.id);
    return { status: 200, body: keyJson(k) };
  },
  async updateKey(d, r) {
    const k = await keyOr404(d, r.caller, p(r, 0));
    mustAdminister(r.caller, k.tenant, "key", k.id);
    const b = parse(schema.updateKey, r.body);
    if (b.scopes) grantable(r.caller, b.scopes);
    if (b.team) {
      const t = await d.store.getTeam(b.team);
      if (t === undefined || t.tenant !== k.tenant) throw notFound("team", b.team);
    }
    const next: Key = {
      ...k,
      name: b.name ?? k.name,
      team: b.team === null ? "" : (b.team ?? k.team),
      models: b.models ?? k.models,
      scopes: b.scopes ?? k.scopes,
      rpm: b.rpm ?? k.rpm,
      tpm: b.tpm ?? k.tpm,
      concurrency: b.concurrency ?? k.concurrency,
      modelLimits: b.model_limits ?? k.modelLimits,
      budget: settingOf(b.budget, k.budget),
      expiresAt:
        b.expires_at === undefined ? k.expiresAt : b.expires_at === null ? 0 : Date.parse(b.expires_at),
      metadata: b.metadata ?? k.metadata,
    };
    await saveKey(d, next, k);
    return { status: 200, body: keyJson(next) };
  },
  async revokeKey(d, r) {
    const k = await keyOr404(d, r.caller, p(r, 0));
    // A key may revoke itself; otherwise it takes an admin of its tenant.
    if (k.id !== r.caller.key.id) mustAdminister(r.caller, k.tenant, "key", k.id);
    const next: Key = { ...k, status: "revoked", previousHash: "", previousUntil: 0 };
    await saveKey(d, next, k);
    return { status: 200, body: keyJson(next) };
  },
  async rotateKey(d, r) {
    const k = await keyOr404(d, r.caller, p(r, 0));
    mustAdminister(r.caller, k.tenant, "key", k.id);
    if (statusOf(k) !== "active")
      throw new GatewayError("conflict", `key ${k.id} is ${statusOf(k)}; only an active key rotates`);
    const b = parse(schema.rotateKey, r.body);
    const grace = (b.grace_seconds ?? 3600) * 1000;
    const { secret, hash } = newSecret();
    const next: Key = {
      ...k,
      hash,
      previousHash: grace > 0 ? k.hash : "",
      previousUntil: grace > 0 ? Date.now() + grace : 0,
    };
    await saveKey(d, next, k);
    return { status: 200, body: { ...keyJson(next), secret } };
  },
  async approveKey(d, r) {
    const k = await keyOr404(d, r.caller, p(r, 0));
    mustAdminister(r.caller, k.tenant, "key", k.id);
    if (k.status !== "pending")
      throw new GatewayError("conflict", `key ${k.id} is ${statusOf(k)}, not pending`);
    const next: Key = { ...k, status: "active" };
    await saveKey(d, next, k);
    return { status: 200, body: keyJson(next) };
  },

  async usage(d, r) {
    const [kind, id] = [p(r, 0), p(r, 1)];
    let tenant: string;
    let budget: BudgetConfig | undefined;
    if (kind === "keys") {
      const k = await keyOr404(d, r.caller, id);
      if (k.id !== r.caller.key.id) mustAdminister(r.caller, k.tenant, "key", k.id);
      [tenant, budget] = [k.tenant, k.budget];
    } else if (kind === "teams") {
      const t = await teamOr404(d, r.caller, id);
      [tenant, budget] = [t.tenant, t.budget];
    } else {
      const t = await tenantOr404(d, r.caller, id);
      [tenant, budget] = [t.id, t.budget];
    }
    if (kind !== "keys") mustAdminister(r.caller, tenant, kind.slice(0, -1), id);
    const now = Date.now();
    const month = monthOf(now);
    const names = usageKeys(d.prefix, month);
    const hash = kind === "keys" ? names.key(id) : kind === "teams" ? names.team(id) : names.tenant(id);
    const raw = await d.redis.hgetall(hash);
    const n = (f: string): number => Number(raw[f] ?? 0);
    return {
      status: 200,
      body: {
        [kind.slice(0, -1)]: id,
        period: month,
        requests: n("requests"),
        prompt_tokens: n("prompt_tokens"),
        completion_tokens: n("completion_tokens"),
        cost_nano_usd: n("cost_nano_usd"),
        cost_usd: n("cost_nano_usd") / 1e9,
        budget:
          budget === undefined ? null : await budgetStanding(d, `${kind.slice(0, -1)}:${id}`, budget, now),
      },
    };
  },
};

/** A budget and where it stands in its current period: spent, held by requests in flight, left. */
async function budgetStanding(d: AdminDeps, scope: string, b: BudgetConfig, now: number) {
  const period = periodOf(b, now);
  const s = await standingOf(d.redis, d.prefix, scope, period.id);
  const budgetNano = usdToNano(b.usd);
  const left = budgetNano - s.spentNanoUsd - s.reservedNanoUsd;
  return {
    ...b,
    period_id: period.id,
    period_start: iso(period.startsAt),
    resets_at: iso(period.endsAt),
    spent_nano_usd: Number(s.spentNanoUsd),
    reserved_nano_usd: Number(s.reservedNanoUsd),
    remaining_nano_usd: Number(left > 0n ? left : 0n),
    spent_usd: Number(s.spentNanoUsd) / 1e9,
    remaining_usd: Number(left > 0n ? left : 0n) / 1e9,
  };
}

/** Scope names, for the OpenAPI document and error messages. */
export const SCOPES: readonly string[] = KEY_SCOPES;

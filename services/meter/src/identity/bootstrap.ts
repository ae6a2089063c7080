// The gateway file's tenants, teams and keys, written to the store at every meter start and
// whenever Redis comes back: the file is code, so its keys are kept in step with it (created,
// updated, revoked when they leave the file), while keys made through the admin API are left
// alone. A key's runtime state survives a restart: a config key revoked through the admin API
// stays revoked until the file gives it a new secret.
import type { GatewayConfig } from "@switchyard/common";
import type { IdentityStore, Key, Team, Tenant } from "./store.js";

/** What the bootstrap changed, to be announced (unchanged records are neither written nor announced). */
export interface Changes {
  keys: Key[];
  teamIds: string[];
  tenantIds: string[];
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

export async function bootstrapIdentity(
  store: IdentityStore,
  cfg: GatewayConfig,
  now = Date.now(),
): Promise<Changes> {
  const changes: Changes = { keys: [], teamIds: [], tenantIds: [] };
  for (const t of cfg.tenants) {
    const had = await store.getTenant(t.id);
    const tenant: Tenant = {
      id: t.id,
      name: t.name ?? t.id,
      limits: { rpm: t.rpm, tpm: t.tpm, concurrency: t.concurrency },
      budget: t.budget,
      overBudgetModel: t.over_budget_model,
      onStoreDown: t.on_store_down,
      metadata: had?.metadata ?? {},
      createdAt: had?.createdAt ?? now,
    };
    if (same(had, tenant)) continue;
    await store.putTenant(tenant);
    changes.tenantIds.push(t.id);
  }
  for (const t of cfg.teams) {
    const had = await store.getTeam(t.id);
    const team: Team = {
      id: t.id,
      tenant: t.tenant,
      name: t.name ?? t.id,
      limits: { rpm: t.rpm, tpm: t.tpm, concurrency: t.concurrency },
      budget: t.budget,
      metadata: had?.metadata ?? {},
      createdAt: had?.createdAt ?? now,
    };
    if (same(had, team)) continue;
    await store.putTeam(team);
    changes.teamIds.push(t.id);
  }
  const inFile = new Set(cfg.keys.map((k) => k.id));
  for (const c of cfg.keys) {
    const had = await store.getKey(c.id);
    const key: Key = {
      id: c.id,
      tenant: c.tenant,
      team: c.team ?? "",
      name: c.name ?? c.id,
      status:
        had?.source === "config" && had.status === "revoked" && had.hash === c.hash ? "revoked" : "active",
      scopes: c.scopes,
      models: c.models,
      rpm: c.rpm,
      tpm: c.tpm,
      concurrency: c.concurrency,
      modelLimits: c.model_limits,
      budget: c.budget,
      expiresAt: c.expires === undefined ? 0 : Date.parse(c.expires),
      metadata: had?.metadata ?? {},
      createdAt: had?.createdAt ?? now,
      source: "config",
      hash: c.hash,
      previousHash: "",
      previousUntil: 0,
    };
    // An announcement makes every ingress replica look the key up afresh, which a Redis that
    // just came back may not answer yet: unchanged keys are left as they are.
    if (same(had, key)) continue;
    await store.putKey(key);
    changes.keys.push(key);
  }
  // Config keys that left the file stop working.
  for (const tenant of await store.listTenants()) {
    for (const key of await store.listKeys(tenant.id)) {
      if (key.source !== "config" || inFile.has(key.id) || key.status === "revoked") continue;
      const revoked: Key = { ...key, status: "revoked" };
      await store.putKey(revoked);
      changes.keys.push(revoked);
    }
  }
  return changes;
}

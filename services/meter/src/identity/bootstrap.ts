// The gateway file's tenants, teams and keys, written to the store at every meter start: the
// file is code, so its keys are kept in step with it (created, updated, revoked when they
// leave the file), while keys made through the admin API are left alone. A key's runtime state
// survives a restart: a config key revoked through the admin API stays revoked.
import type { GatewayConfig } from "@switchyard/common";
import type { IdentityStore, Key } from "./store.js";

export async function bootstrapIdentity(
  store: IdentityStore,
  cfg: GatewayConfig,
  now = Date.now(),
): Promise<Key[]> {
  for (const t of cfg.tenants) {
    const had = await store.getTenant(t.id);
    await store.putTenant({
      id: t.id,
      name: t.name ?? t.id,
      metadata: had?.metadata ?? {},
      createdAt: had?.createdAt ?? now,
    });
  }
  for (const t of cfg.teams) {
    const had = await store.getTeam(t.id);
    await store.putTeam({
      id: t.id,
      tenant: t.tenant,
      name: t.name ?? t.id,
      metadata: had?.metadata ?? {},
      createdAt: had?.createdAt ?? now,
    });
  }
  const changed: Key[] = [];
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
      expiresAt: c.expires === undefined ? 0 : Date.parse(c.expires),
      metadata: had?.metadata ?? {},
      createdAt: had?.createdAt ?? now,
      source: "config",
      hash: c.hash,
      previousHash: "",
      previousUntil: 0,
    };
    // Unchanged keys are not written again nor announced: an announcement makes every ingress
    // replica look the key up afresh, which a Redis that just came back may not answer yet.
    if (had !== undefined && JSON.stringify(had) === JSON.stringify(key)) continue;
    await store.putKey(key);
    changed.push(key);
  }
  // Config keys that left the file stop working.
  for (const tenant of await store.listTenants()) {
    for (const key of await store.listKeys(tenant.id)) {
      if (key.source !== "config" || inFile.has(key.id) || key.status === "revoked") continue;
      const revoked: Key = { ...key, status: "revoked" };
      await store.putKey(revoked);
      changed.push(revoked);
    }
  }
  return changed;
}

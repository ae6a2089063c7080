import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gatewayConfigSchema } from "@switchyard/common";
import { bootstrapIdentity } from "./bootstrap.js";
import type { IdentityStore, Key, Team, Tenant } from "./store.js";

/** The store's contract over plain maps. */
function memoryStore(): IdentityStore {
  const tenants = new Map<string, Tenant>();
  const teams = new Map<string, Team>();
  const keys = new Map<string, Key>();
  const copy = <T>(v: T | undefined): T | undefined =>
    v === undefined ? undefined : (JSON.parse(JSON.stringify(v)) as T);
  return {
    putTenant: (t) => Promise.resolve(void tenants.set(t.id, copy(t)!)),
    getTenant: (id) => Promise.resolve(copy(tenants.get(id))),
    listTenants: () => Promise.resolve([...tenants.values()]),
    putTeam: (t) => Promise.resolve(void teams.set(t.id, copy(t)!)),
    getTeam: (id) => Promise.resolve(copy(teams.get(id))),
    listTeams: (tenant) => Promise.resolve([...teams.values()].filter((t) => t.tenant === tenant)),
    putKey: (k) => Promise.resolve(void keys.set(k.id, copy(k)!)),
    getKey: (id) => Promise.resolve(copy(keys.get(id))),
    listKeys: (tenant) => Promise.resolve([...keys.values()].filter((k) => k.tenant === tenant)),
    keyByHash: (h) => Promise.resolve([...keys.values()].find((k) => k.hash === h)),
  };
}

const HASH = (c: string) => `sha256:${c.repeat(64)}`;
const config = (keys: object[]) =>
  gatewayConfigSchema.parse({ tenants: [{ id: "acme" }], teams: [{ id: "ml", tenant: "acme" }], keys });

describe("identity bootstrap from the gateway file", () => {
  it("writes the file's keys, announces only what changed, and revokes keys that left it", async () => {
    const store = memoryStore();
    const a = { id: "a", tenant: "acme", team: "ml", hash: HASH("a"), rpm: 5 };
    const b = { id: "b", tenant: "acme", hash: HASH("b") };
    const first = await bootstrapIdentity(store, config([a, b]));
    assert.deepEqual(
      first.keys.map((k) => k.id),
      ["a", "b"],
    );
    assert.deepEqual([first.tenantIds, first.teamIds], [["acme"], ["ml"]]);
    assert.equal((await store.getKey("a"))?.team, "ml");
    assert.deepEqual(
      await bootstrapIdentity(store, config([a, b])),
      { keys: [], teamIds: [], tenantIds: [] },
      "nothing changed, nothing announced",
    );
    const changed = await bootstrapIdentity(store, config([{ ...a, rpm: 9 }]));
    assert.deepEqual(
      changed.keys.map((k) => [k.id, k.status, k.rpm]),
      [
        ["a", "active", 9],
        ["b", "revoked", 0],
      ],
    );
  });

  it("keeps a config key revoked through the API revoked, until the file gives it a new secret", async () => {
    const store = memoryStore();
    const a = { id: "a", tenant: "acme", hash: HASH("a") };
    await bootstrapIdentity(store, config([a]));
    await store.putKey({ ...(await store.getKey("a"))!, status: "revoked" });
    await bootstrapIdentity(store, config([a]));
    assert.equal((await store.getKey("a"))?.status, "revoked");
    await bootstrapIdentity(store, config([{ ...a, hash: HASH("c") }]));
    assert.equal((await store.getKey("a"))?.status, "active");
  });
});

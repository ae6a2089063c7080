// Keys through the admin API against the real stack: a key revoked under traffic is refused by
// every ingress replica within a second; a rotated key's old secret works through its grace
// period only; a key a team member asks for answers 403 until a tenant admin approves it; and a
// tenant admin of one tenant gets 404 for every object of another, through every endpoint.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";

interface Answer {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string }; secret?: string; id?: string };
}

describe("keys and the admin API", () => {
  let gw: GatewayUnderTest;
  before(async () => {
    gw = await startGateway({ replicas: { ingress: 2 } });
  });
  after(() => gw?.stop());

  async function admin(method: string, path: string, key: string, body?: unknown): Promise<Answer> {
    const res = await fetch(`${gw.adminUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Answer["body"] };
  }
  const chat = async (url: string, key: string): Promise<number> => {
    const res = await fetch(`${url}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "mock-gpt", messages: [{ role: "user", content: "hi" }] }),
    });
    await res.body?.cancel();
    return res.status;
  };
  /** A tenant with a tenant admin key, made by the global admin. */
  async function tenantWithAdmin(name: string): Promise<{ tenant: string; admin: string }> {
    const t = await admin("POST", "/tenants", KEYS.admin, { name });
    assert.equal(t.status, 201, JSON.stringify(t.body));
    const k = await admin("POST", "/keys", KEYS.admin, {
      tenant: t.body.id,
      name: `${name} admin`,
      scopes: ["tenant_admin", "chat"],
    });
    assert.equal(k.status, 201, JSON.stringify(k.body));
    return { tenant: String(t.body.id), admin: String(k.body.secret) };
  }

  it("refuses a revoked key at every ingress replica within a second, under traffic", async () => {
    const { admin: tenantAdmin, tenant } = await tenantWithAdmin("revoke-co");
    const k = await admin("POST", "/keys", tenantAdmin, { name: "worker", tenant });
    const secret = String(k.body.secret);
    for (const url of gw.httpUrls)
      assert.equal(await chat(url, secret), 200, "works everywhere first (and is cached)");
    let running = true;
    const seen: { url: string; at: number; status: number }[] = [];
    const traffic = gw.httpUrls.map(async (url) => {
      while (running) seen.push({ url, at: Date.now(), status: await chat(url, secret) });
    });
    await sleep(300);
    const revokedAt = Date.now();
    assert.equal((await admin("POST", `/keys/${k.body.id}/revoke`, tenantAdmin)).status, 200);
    await sleep(1500);
    running = false;
    await Promise.all(traffic);
    for (const url of gw.httpUrls) {
      const late = seen.filter((s) => s.url === url && s.status === 200 && s.at > revokedAt + 1000);
      assert.deepEqual(late, [], `${url} still took the key more than a second after it was revoked`);
      assert.ok(
        seen.some((s) => s.url === url && s.status === 401),
        `${url} refused it`,
      );
    }
  });

  it("takes both secrets during a rotation's grace period, then only the new one", async () => {
    const k = await admin("POST", "/keys", KEYS.admin, { tenant: "local", name: "rotating" });
    const old = String(k.body.secret);
    assert.equal(await chat(gw.httpUrl, old), 200);
    const r = await admin("POST", `/keys/${k.body.id}/rotate`, KEYS.admin, { grace_seconds: 2 });
    assert.equal(r.status, 200);
    const fresh = String(r.body.secret);
    assert.notEqual(fresh, old);
    for (const url of gw.httpUrls) {
      assert.equal(await chat(url, old), 200, "the old secret within the grace period");
      assert.equal(await chat(url, fresh), 200, "the new secret");
    }
    await sleep(2500);
    // Ingress may still have the old secret cached: it was told when that secret stops working.
    for (const url of gw.httpUrls) {
      assert.equal(await chat(url, old), 401, "the old secret after the grace period");
      assert.equal(await chat(url, fresh), 200);
    }
  });

  it("answers 403 key_pending_approval for a key a team member asked for, until it is approved", async () => {
    const { admin: tenantAdmin, tenant } = await tenantWithAdmin("approve-co");
    const team = await admin("POST", "/teams", tenantAdmin, { tenant, name: "search" });
    assert.equal(team.status, 201);
    const member = await admin("POST", "/keys", tenantAdmin, { tenant, team: team.body.id, name: "alice" });
    const asked = await admin("POST", "/keys", String(member.body.secret), { name: "alice's batch job" });
    assert.equal(asked.status, 201, JSON.stringify(asked.body));
    assert.equal(asked.body.status, "pending");
    assert.equal(asked.body.team, team.body.id);
    const res = await fetch(`${gw.httpUrl}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${asked.body.secret}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "mock-gpt", messages: [{ role: "user", content: "hi" }] }),
    });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as Answer["body"]).error?.code, "key_pending_approval");
    // A member cannot approve it, nor ask for an admin key.
    assert.equal(
      (await admin("POST", `/keys/${asked.body.id}/approve`, String(member.body.secret))).status,
      403,
    );
    assert.equal(
      (await admin("POST", "/keys", String(member.body.secret), { name: "x", scopes: ["tenant_admin"] }))
        .status,
      403,
    );
    const approved = await admin("POST", `/keys/${asked.body.id}/approve`, tenantAdmin);
    assert.equal(approved.body.status, "active");
    for (const url of gw.httpUrls) assert.equal(await chat(url, String(asked.body.secret)), 200);
  });

  it("shows a tenant admin nothing of another tenant: 404 through every endpoint", async () => {
    const a = await tenantWithAdmin("tenant-a");
    const b = await tenantWithAdmin("tenant-b");
    const team = await admin("POST", "/teams", b.admin, { tenant: b.tenant, name: "b-team" });
    const key = await admin("POST", "/keys", b.admin, { tenant: b.tenant, name: "b-key" });
    const [tn, tm, ky] = [b.tenant, String(team.body.id), String(key.body.id)];
    const attempts: [string, string, unknown?][] = [
      ["GET", `/tenants/${tn}`],
      ["PATCH", `/tenants/${tn}`, { name: "mine now" }],
      ["GET", `/teams/${tm}`],
      ["PATCH", `/teams/${tm}`, { name: "mine now" }],
      ["POST", "/teams", { tenant: tn, name: "sneaky" }],
      ["GET", `/keys/${ky}`],
      ["PATCH", `/keys/${ky}`, { name: "mine now" }],
      ["POST", `/keys/${ky}/revoke`],
      ["POST", `/keys/${ky}/rotate`, {}],
      ["POST", `/keys/${ky}/approve`],
      ["POST", "/keys", { tenant: tn, name: "sneaky" }],
      ["GET", `/usage/keys/${ky}`],
      ["GET", `/usage/teams/${tm}`],
      ["GET", `/usage/tenants/${tn}`],
    ];
    for (const [method, path, body] of attempts) {
      const r = await admin(method, path, a.admin, body);
      assert.equal(r.status, 404, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    // Lists hold only the caller's own tenant.
    const tenants = await admin("GET", "/tenants", a.admin);
    assert.deepEqual(
      (tenants.body.data as { id: string }[]).map((t) => t.id),
      [a.tenant],
    );
    const teams = await admin("GET", `/teams?tenant=${tn}`, a.admin);
    assert.deepEqual(teams.body.data, []);
    const keys = await admin("GET", `/keys?tenant=${tn}`, a.admin);
    assert.deepEqual(keys.body.data, []);
    // And B's key still works, untouched.
    assert.equal((await admin("GET", `/keys/${ky}`, b.admin)).body.status, "active");
  });

  it("reports a key's, team's and tenant's settled usage for the month", async () => {
    const { admin: tenantAdmin, tenant } = await tenantWithAdmin("usage-co");
    const team = await admin("POST", "/teams", tenantAdmin, { tenant, name: "ml" });
    const k = await admin("POST", "/keys", tenantAdmin, { tenant, team: team.body.id, name: "metered" });
    for (let i = 0; i < 3; i++) assert.equal(await chat(gw.httpUrl, String(k.body.secret)), 200);
    let usage: Answer = await admin("GET", `/usage/keys/${k.body.id}`, tenantAdmin);
    for (let i = 0; i < 100 && usage.body.requests !== 3; i++) {
      await sleep(100);
      usage = await admin("GET", `/usage/keys/${k.body.id}`, tenantAdmin);
    }
    assert.equal(usage.body.requests, 3);
    assert.ok(Number(usage.body.cost_nano_usd) > 0 && Number(usage.body.prompt_tokens) > 0);
    assert.equal(usage.body.period, new Date().toISOString().slice(0, 7));
    for (const path of [`/usage/teams/${team.body.id}`, `/usage/tenants/${tenant}`]) {
      const u = await admin("GET", path, tenantAdmin);
      assert.equal(u.body.requests, 3, path);
      assert.equal(u.body.cost_nano_usd, usage.body.cost_nano_usd, path);
    }
  });

  it("refuses callers without a valid key, and publishes its OpenAPI document", async () => {
    assert.equal((await admin("GET", "/tenants", "not-a-key")).status, 401);
    assert.equal((await admin("GET", "/tenants", KEYS.dev)).status, 200, "a member sees its own tenant");
    assert.equal((await admin("POST", "/tenants", KEYS.dev, { name: "x" })).status, 403);
    const doc = await (await fetch(`${gw.adminUrl}/openapi.yaml`)).text();
    assert.match(doc, /^openapi: 3\.1\.0/);
  });
});

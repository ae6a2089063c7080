// The analytics query API against the real stack: the analytics process with its query listener,
// the meter answering key lookups over NATS, and ClickHouse (Debian's 18.16 here) with the
// repository's migrations in a private database holding fixture rows inserted directly. Numbers
// are checked against sums done by hand; a tenant admin reads only its own tenant (another is
// 404); hostile values in every parameter are refused (400) or stay inside their SQL literal.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createClient } from "@clickhouse/client";
import { applyMigrations } from "@switchyard/analytics/migrations";
import { freePort, sha256Key } from "@switchyard/devkit";
import { testStack } from "./harness/env.js";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";

const SECRETS = {
  acmeAdmin: "sy-test-acme-admin",
  globexAdmin: "sy-test-globex-admin",
  acmeChat: "sy-test-acme-chat",
} as const;

/** Strings that would end a naively quoted literal or hide the rest of the query. */
const HOSTILE = [
  "'); DROP TABLE {db}.requests; --",
  "x' OR '1'='1",
  "\\'",
  "a\\",
  "\\\\'); SELECT 1; --",
  "''",
  "nul\0byte",
  "new\nline\r\ttab",
  "/* comment",
  "-- comment",
  "# hash",
  "ünïcødé 🚀 \u2028 \u202e",
  '`tick` "dq"',
  "\\N",
];

// Today (UTC): the writer keeps whole recent months only, and drops older partitions at start.
const DAY0 = new Date().toISOString().slice(0, 10);
const DAY1 = new Date(Date.parse(DAY0) + 86_400_000).toISOString().slice(0, 10);
const T = (hhmmss: string): string => `${DAY0} ${hhmmss}`;
/** One `requests` row with the columns a test sets; the rest keep their zero values. */
const req = (r: Record<string, unknown>) => ({ stage_names: [], stage_ms: [], guard_rules: [], ...r });

/** Tenant acme: four answered requests, one upstream failure, one refused at the door. */
const ACME = [
  req({
    received_at: T("10:00:10"),
    request_id: "a1",
    tenant_id: "acme",
    team_id: "red",
    key_id: "k-a1",
    model: "gpt",
    deployment: "dep-1",
    status: "ok",
    http_status: 200,
    prompt_tokens: 100,
    completion_tokens: 50,
    cost_nano_usd: 1_500_000,
    latency_ms: 100,
  }),
  req({
    received_at: T("10:00:40"),
    request_id: "a2",
    tenant_id: "acme",
    team_id: "red",
    key_id: "k-a1",
    model: "gpt",
    deployment: "dep-1",
    status: "ok",
    http_status: 200,
    stream: 1,
    prompt_tokens: 200,
    completion_tokens: 100,
    cost_nano_usd: 2_500_000,
    latency_ms: 100,
    ttft_ms: 40,
  }),
  req({
    received_at: T("10:30:00"),
    request_id: "a3",
    tenant_id: "acme",
    team_id: "blue",
    key_id: "k-a2",
    model: "claude",
    deployment: "dep-2",
    status: "upstream_error",
    http_status: 502,
    latency_ms: 300,
  }),
  req({
    received_at: T("11:05:00"),
    request_id: "a4",
    tenant_id: "acme",
    team_id: "blue",
    key_id: "k-a2",
    model: "claude",
    deployment: "dep-2",
    status: "ok",
    http_status: 200,
    stream: 1,
    prompt_tokens: 10,
    completion_tokens: 10,
    cost_nano_usd: 500_000,
    latency_ms: 300,
    ttft_ms: 80,
  }),
  req({
    received_at: T("11:06:00"),
    request_id: "a5",
    tenant_id: "acme",
    key_hash_prefix: "abcdef012345",
    model: "gpt",
    status: "unauthenticated",
    http_status: 401,
    latency_ms: 100,
  }),
];
const GLOBEX = [
  req({
    received_at: T("10:15:00"),
    request_id: "g1",
    tenant_id: "globex",
    team_id: "x",
    key_id: "k-g1",
    model: "gpt",
    deployment: "dep-1",
    status: "ok",
    http_status: 200,
    prompt_tokens: 1000,
    completion_tokens: 1000,
    cost_nano_usd: 9_000_000,
    latency_ms: 500,
  }),
];
/** Written twice (a redelivery that slipped past the writer): counted once where rows are read. */
const GLOBEX_DUPLICATE = req({
  received_at: T("10:16:00"),
  request_id: "g2",
  tenant_id: "globex",
  team_id: "x",
  key_id: "k-g1",
  model: "gpt",
  deployment: "dep-1",
  status: "rate_limited",
  http_status: 429,
  latency_ms: 5,
});
/** Tenant "inj": one request per hostile model name, each 1 nano-USD. */
const injRows = (db: string) =>
  HOSTILE.map((m, i) =>
    req({
      received_at: T("12:00:00"),
      request_id: `inj${i}`,
      tenant_id: "inj",
      key_id: "k-inj",
      model: m.replace("{db}", db),
      status: "ok",
      http_status: 200,
      cost_nano_usd: 1,
      latency_ms: 10,
    }),
  );
const verdict = (r: Record<string, unknown>) => ({ finding_kinds: [], value_hashes: [], ...r });
const GUARD = [
  verdict({
    received_at: T("10:00:10"),
    request_id: "a1",
    tenant_id: "acme",
    direction: "input",
    action: "block",
    finding_rules: ["pii.email", "inj.ignore"],
    finding_actions: ["redact", "block"],
    finding_counts: [2, 1],
  }),
  verdict({
    received_at: T("10:00:40"),
    request_id: "a2",
    tenant_id: "acme",
    direction: "output",
    action: "redact",
    finding_rules: ["pii.email"],
    finding_actions: ["redact"],
    finding_counts: [1],
  }),
  verdict({
    received_at: T("10:15:00"),
    request_id: "g1",
    tenant_id: "globex",
    direction: "input",
    action: "flag",
    finding_rules: ["pii.phone"],
    finding_actions: ["flag"],
    finding_counts: [3],
  }),
];

describe("analytics query API", () => {
  let gw: GatewayUnderTest;
  let api: string;
  const stack = testStack();
  const ch = stack.clickhouseUrl;
  let db: string;

  async function clickhouse(query: string, body?: string): Promise<string> {
    const res = await fetch(`${ch}/?query=${encodeURIComponent(query)}`, { method: "POST", body });
    const text = await res.text();
    if (!res.ok) throw new Error(`ClickHouse: ${text}`);
    return text;
  }
  const insert = (table: string, rows: unknown[]): Promise<string> =>
    clickhouse(
      `INSERT INTO ${db}.${table} FORMAT JSONEachRow`,
      rows.map((r) => JSON.stringify(r)).join("\n"),
    );

  /** The repository's migrations, by the analytics service's own runner. */
  async function migrate(): Promise<void> {
    const client = createClient({ url: testStack().clickhouseUrl });
    try {
      await applyMigrations(client, db);
    } finally {
      await client.close();
    }
  }

  before(async () => {
    gw = await startGateway({
      replicas: { ingress: 0, guard: 0, router: 0, provider: 0 },
      gatewayFile: (file) => {
        (file.tenants as unknown[]).push({ id: "acme" }, { id: "globex" });
        (file.keys as unknown[]).push(
          { id: "acme-admin", tenant: "acme", hash: sha256Key(SECRETS.acmeAdmin), scopes: ["tenant_admin"] },
          {
            id: "globex-admin",
            tenant: "globex",
            hash: sha256Key(SECRETS.globexAdmin),
            scopes: ["tenant_admin"],
          },
          { id: "acme-chat", tenant: "acme", hash: sha256Key(SECRETS.acmeChat), scopes: ["chat"] },
        );
      },
    });
    db = `aq_${gw.prefix}`;
    await migrate();
    await insert("requests", [...ACME, ...GLOBEX, GLOBEX_DUPLICATE, ...injRows(db)]);
    await insert("requests", [GLOBEX_DUPLICATE]);
    await insert("guard_verdicts", GUARD);
    await insert("guard_verdicts", [GUARD[0]]);
    const port = await freePort();
    const proc = await gw.cluster.start("analytics", {
      SWITCHYARD_CLICKHOUSE_URL: ch,
      SWITCHYARD_CLICKHOUSE_DATABASE: db,
      SWITCHYARD_ANALYTICS_HTTP_PORT: String(port),
    });
    await gw.cluster.waitReady(proc, 60_000);
    api = `http://127.0.0.1:${port}/analytics/v1`;
  });
  after(async () => {
    if (db !== undefined) await clickhouse(`DROP DATABASE IF EXISTS ${db}`).catch(() => undefined);
    await gw?.stop();
  });

  interface Answer {
    status: number;
    body: Record<string, unknown> & { rows?: Record<string, unknown>[]; keys?: Record<string, unknown>[] };
  }
  async function get(path: string, params: Record<string, string>, key?: string): Promise<Answer> {
    const res = await fetch(`${api}/${path}?${new URLSearchParams(params).toString()}`, {
      headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
    });
    return { status: res.status, body: (await res.json()) as Answer["body"] };
  }
  const DAY = { from: DAY0, to: DAY1 };

  it("sums spend, tokens, requests and errors per hour from the rollup", async () => {
    const a = await get("usage", { ...DAY, granularity: "hour" }, SECRETS.acmeAdmin);
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal(a.body.tenant, "acme");
    assert.deepEqual(a.body.rows, [
      {
        start: `${DAY0}T10:00:00.000Z`,
        requests: 3,
        errors: 1,
        prompt_tokens: 300,
        completion_tokens: 150,
        total_tokens: 450,
        cost_nano_usd: 4_000_000,
        cost_usd: 0.004,
      },
      {
        start: `${DAY0}T11:00:00.000Z`,
        requests: 2,
        errors: 1,
        prompt_tokens: 10,
        completion_tokens: 10,
        total_tokens: 20,
        cost_nano_usd: 500_000,
        cost_usd: 0.0005,
      },
    ]);
  });

  it("groups usage by team and model per day, and filters by key", async () => {
    const a = await get("usage", { ...DAY, granularity: "day", group_by: "team,model" }, SECRETS.acmeAdmin);
    assert.equal(a.status, 200, JSON.stringify(a.body));
    const brief = a.body.rows!.map((r) => [r.team, r.model, r.requests, r.errors, r.cost_nano_usd]);
    assert.deepEqual(brief, [
      ["", "gpt", 1, 1, 0],
      ["blue", "claude", 2, 1, 500_000],
      ["red", "gpt", 2, 0, 4_000_000],
    ]);
    const k = await get("usage", { ...DAY, granularity: "day", key: "k-a2" }, SECRETS.acmeAdmin);
    assert.deepEqual(
      k.body.rows!.map((r) => [r.requests, r.cost_nano_usd]),
      [[2, 500_000]],
    );
  });

  it("reports latency and TTFT quantiles per model; no streams means no TTFT", async () => {
    const a = await get("latency", { ...DAY, granularity: "day", group_by: "model" }, SECRETS.acmeAdmin);
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.deepEqual(a.body.rows, [
      {
        start: `${DAY0}T00:00:00.000Z`,
        model: "claude",
        requests: 2,
        latency_ms: { p50: 300, p95: 300, p99: 300 },
        ttft_ms: { p50: 80, p95: 80, p99: 80 },
      },
      {
        start: `${DAY0}T00:00:00.000Z`,
        model: "gpt",
        requests: 3,
        latency_ms: { p50: 100, p95: 100, p99: 100 },
        ttft_ms: { p50: 40, p95: 40, p99: 40 },
      },
    ]);
    const g = await get("latency", { ...DAY, granularity: "day" }, SECRETS.globexAdmin);
    const rows = g.body.rows!;
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.ttft_ms, null, "globex streamed nothing");
    const l = rows[0]!.latency_ms as { p50: number; p99: number };
    assert.ok(l.p50 >= 5 && l.p50 <= 500 && l.p99 <= 500 && l.p99 >= l.p50, JSON.stringify(l));
  });

  it("counts final statuses once per request, even a row written twice", async () => {
    const a = await get("errors", DAY, SECRETS.acmeAdmin);
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.deepEqual(
      a.body.rows!.map((r) => [r.http_status, r.status, r.requests]),
      [
        [200, "ok", 3],
        [401, "unauthenticated", 1],
        [502, "upstream_error", 1],
      ],
    );
    const g = await get("errors", { ...DAY, tenant: "globex", group_by: "key" }, KEYS.admin);
    assert.deepEqual(
      g.body.rows!.map((r) => [r.key, r.http_status, r.status, r.requests]),
      [
        ["k-g1", 200, "ok", 1],
        ["k-g1", 429, "rate_limited", 1],
      ],
    );
  });

  it("counts guard findings by rule and action, a redelivered verdict once", async () => {
    const a = await get("guard", DAY, SECRETS.acmeAdmin);
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.deepEqual(a.body.rows, [
      { rule: "pii.email", action: "redact", findings: 3, screenings: 2, requests: 2 },
      { rule: "inj.ignore", action: "block", findings: 1, screenings: 1, requests: 1 },
    ]);
    const all = await get("guard", { ...DAY, group_by: "tenant" }, KEYS.admin);
    assert.deepEqual(
      all.body.rows!.map((r) => [r.tenant, r.rule, r.findings]),
      [
        ["acme", "pii.email", 3],
        ["acme", "inj.ignore", 1],
        ["globex", "pii.phone", 3],
      ],
    );
  });

  it("ranks keys by cost or by requests", async () => {
    const a = await get("top-keys", DAY, SECRETS.acmeAdmin);
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.deepEqual(
      a.body.keys!.map((k) => [k.key, k.team, k.requests, k.cost_nano_usd, k.cost_usd]),
      [
        ["k-a1", "red", 2, 4_000_000, 0.004],
        ["k-a2", "blue", 2, 500_000, 0.0005],
      ],
    );
    const one = await get("top-keys", { ...DAY, by: "requests", limit: "1", tenant: "inj" }, KEYS.admin);
    assert.deepEqual(
      one.body.keys!.map((k) => [k.tenant, k.key, k.requests]),
      [["inj", "k-inj", HOSTILE.length]],
    );
    const all = await get("top-keys", DAY, KEYS.admin);
    assert.deepEqual(
      all.body.keys!.map((k) => k.key),
      ["k-g1", "k-a1", "k-a2", "k-inj"],
    );
  });

  it("walls tenants: a tenant admin reads its own numbers, another tenant is not found", async () => {
    const own = await get("usage", { ...DAY, granularity: "day" }, SECRETS.globexAdmin);
    assert.equal(own.status, 200);
    assert.equal(own.body.tenant, "globex");
    assert.equal(own.body.rows!.length, 1);
    assert.equal(own.body.rows![0]!.cost_nano_usd, 9_000_000, "globex's spend, nobody else's");
    for (const path of ["usage", "latency", "errors", "guard", "top-keys"]) {
      const other = await get(path, { ...DAY, tenant: "globex" }, SECRETS.acmeAdmin);
      assert.equal(other.status, 404, `${path}: ${JSON.stringify(other.body)}`);
      assert.deepEqual(other.body.error, {
        message: 'no tenant "globex"',
        type: "invalid_request_error",
        param: "tenant",
        code: "not_found",
      });
      const named = await get(path, { ...DAY, tenant: "acme" }, SECRETS.acmeAdmin);
      assert.equal(named.status, 200, path);
    }
    // group_by=tenant shows a tenant admin only itself.
    const grouped = await get("usage", { ...DAY, granularity: "day", group_by: "tenant" }, SECRETS.acmeAdmin);
    assert.deepEqual(
      grouped.body.rows!.map((r) => r.tenant),
      ["acme"],
    );
    const admin = await get("usage", { ...DAY, granularity: "day", group_by: "tenant" }, KEYS.admin);
    assert.deepEqual(
      admin.body.rows!.map((r) => r.tenant),
      ["acme", "globex", "inj"],
    );
  });

  it("refuses keys that may not read analytics", async () => {
    assert.equal((await get("usage", DAY)).status, 401);
    assert.equal((await get("usage", DAY, "sy-no-such-key")).status, 401);
    const chat = await get("usage", DAY, SECRETS.acmeChat);
    assert.equal(chat.status, 403);
    assert.equal((chat.body.error as { code: string }).code, "permission_denied");
    assert.equal((await get("usage", { ...DAY, tenant: "globex" }, SECRETS.acmeChat)).status, 404);
    assert.equal((await get("nothing", DAY, KEYS.admin)).status, 404);
  });

  it("keeps hostile model names inside their literal: each matches exactly its own row", async () => {
    for (const raw of HOSTILE) {
      const model = raw.replace("{db}", db);
      const a = await get("usage", { ...DAY, granularity: "day", tenant: "inj", model }, KEYS.admin);
      assert.equal(a.status, 200, `${JSON.stringify(model)}: ${JSON.stringify(a.body)}`);
      assert.deepEqual(
        a.body.rows!.map((r) => [r.requests, r.cost_nano_usd]),
        [[1, 1]],
        JSON.stringify(model),
      );
      const e = await get("errors", { ...DAY, tenant: "inj", model, deployment: model }, KEYS.admin);
      assert.equal(e.status, 200, JSON.stringify(model));
      assert.deepEqual(e.body.rows, [], "no deployment has that name");
    }
    assert.equal(
      (await clickhouse(`SELECT count() FROM ${db}.requests WHERE tenant_id = 'inj'`)).trim(),
      String(HOSTILE.length),
      "the table is still there, untouched",
    );
  });

  it("refuses hostile values where only names, times and numbers belong, naming the field", async () => {
    const fields: Record<string, string[]> = {
      usage: ["tenant", "team", "key", "from", "to", "granularity", "group_by"],
      latency: ["group_by"],
      guard: ["tenant", "group_by"],
      "top-keys": ["by", "limit", "key"],
    };
    for (const [path, names] of Object.entries(fields))
      for (const field of names)
        for (const raw of HOSTILE) {
          const a = await get(path, { [field]: raw.replace("{db}", db) }, KEYS.admin);
          assert.equal(a.status, 400, `${path} ${field}=${JSON.stringify(raw)}: ${JSON.stringify(a.body)}`);
          assert.equal((a.body.error as { param: string }).param, field);
        }
    const unknown = await get("usage", { "x'; DROP": "1" }, KEYS.admin);
    assert.equal(unknown.status, 400);
    assert.match((unknown.body.error as { message: string }).message, /unknown parameter/);
  });

  it("bounds ranges and buckets", async () => {
    const long = await get("usage", { from: "2024-01-01", to: "2024-06-01" }, KEYS.admin);
    assert.equal(long.status, 400);
    assert.match(
      (long.body.error as { message: string }).message,
      /^from: the range may cover at most 92 days/,
    );
    const fine = await get(
      "usage",
      { from: "2025-01-01", to: "2025-01-05", granularity: "minute" },
      KEYS.admin,
    );
    assert.equal(fine.status, 400);
    assert.equal((fine.body.error as { param: string }).param, "granularity");
  });
});

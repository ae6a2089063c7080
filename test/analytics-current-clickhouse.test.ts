// The analytics schema and queries on a current ClickHouse, not only on Debian's 18.16 (the test
// stack's server; no current server package installs here). chDB — the ClickHouse engine as a
// library, from PyPI — runs the repository's migrations, the writer's inserts and duplicate
// lookups, the minute rollup, retention's partition drops and every query-API question through
// the same code as against a server; the same data on 18.16 must give the same answers.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { createClient, type ClickHouseClient } from "@clickhouse/client";
import { findExisting, rowKey } from "@switchyard/analytics/existing-rows";
import { applyMigrations, readMigrations } from "@switchyard/analytics/migrations";
import { answer, type QueryDeps } from "@switchyard/analytics/query";
import { dropExpiredPartitions } from "@switchyard/analytics/retention";
import { guardVerdictRow, requestRow } from "@switchyard/analytics/rows";
import {
  Action,
  GuardResultSchema,
  GuardVerdictSchema,
  KeyInfoSchema,
  StageTimingSchema,
  UsageEventSchema,
  UsageSchema,
  type GuardVerdict,
  type UsageEvent,
} from "@switchyard/proto";
import { startChdb, type Chdb } from "./harness/chdb.js";
import { testStack, uniquePrefix } from "./harness/env.js";

const HOUR = 3_600_000;
const NOW = Math.floor(Date.now() / HOUR) * HOUR;
const TENANTS = ["acme", "globex"];
const MODELS = ["gpt", "claude", "gem'ini"];

/** 300 requests over the last three hours: tenants, teams, keys, models, failures, streams. */
function usageEvents(): UsageEvent[] {
  return Array.from({ length: 300 }, (_, i) => {
    const received = NOW - 3 * HOUR + i * 30_000;
    const failed = i % 11 === 0;
    return create(UsageEventSchema, {
      requestId: `cur-${i}`,
      tenantId: TENANTS[i % 2]!,
      // A key belongs to one team (the top-keys answer names it).
      teamId: `team-${(i % 5) % 3}`,
      keyId: `key-${i % 5}`,
      model: MODELS[i % 3]!,
      provider: "mock",
      deployment: `dep-${i % 4}`,
      door: i % 7 === 0 ? "grpc" : "http",
      status: failed ? "upstream_error" : "ok",
      httpStatus: failed ? 502 : 200,
      stream: i % 2 === 0,
      usage: create(UsageSchema, {
        promptTokens: 100 + i,
        completionTokens: failed ? 0 : 20 + (i % 17),
        cachedTokens: i % 4 === 0 ? 50 : 0,
        cacheWriteTokens: i % 6 === 0 ? 10 : 0,
      }),
      costNanoUsd: BigInt(1_000_000 + i * 1_000),
      costInputNanoUsd: BigInt(600_000 + i * 500),
      costOutputNanoUsd: BigInt(400_000 + i * 500),
      receivedUnixMs: BigInt(received),
      finishedUnixMs: BigInt(received + 50 + (i % 13) * 40),
      ttftMs: i % 2 === 0 ? 20 + (i % 9) * 5 : 0,
      upstreamMs: 40 + (i % 13) * 35,
      attempts: failed ? 2 : 1,
      fallbacks: failed ? 1 : 0,
      timings: [create(StageTimingSchema, { stage: "guard", processingUs: 120 + i })],
    });
  });
}

function guardVerdicts(): GuardVerdict[] {
  return Array.from({ length: 40 }, (_, i) =>
    create(GuardVerdictSchema, {
      requestId: `cur-${i}`,
      tenantId: TENANTS[i % 2]!,
      direction: i % 3 === 0 ? "output" : "input",
      atUnixMs: BigInt(NOW - 2 * HOUR + i * 1_000),
      result: create(GuardResultSchema, {
        action: i % 4 === 0 ? Action.BLOCK : Action.FLAG,
        findings: [
          {
            kind: "email",
            rule: i % 2 === 0 ? "pii.email" : "injection.override",
            count: 1 + (i % 3),
            action: Action.FLAG,
            valueHashes: [`h${i}`],
          },
        ],
      }),
    }),
  );
}

/** What the writer does with a batch: rows, those already stored left out, the rest inserted. */
async function write(
  client: ClickHouseClient,
  db: string,
  events: UsageEvent[],
  verdicts: GuardVerdict[],
): Promise<void> {
  const at = Math.floor(Date.now() / 1000);
  const requests = events.map((e) => requestRow(e, NOW, at));
  const checks = verdicts.map((v) => guardVerdictRow(v, NOW, at));
  const [storedRequests, storedVerdicts] = await Promise.all([
    findExisting(client, `${db}.requests`, requests, false),
    findExisting(client, `${db}.guard_verdicts`, checks, true),
  ]);
  const newRequests = requests.filter((r) => !storedRequests.has(rowKey(r)));
  const newVerdicts = checks.filter((r) => !storedVerdicts.has(rowKey(r)));
  if (newRequests.length > 0)
    await client.insert({ table: `${db}.requests`, values: newRequests, format: "JSONEachRow" });
  if (newVerdicts.length > 0)
    await client.insert({ table: `${db}.guard_verdicts`, values: newVerdicts, format: "JSONEachRow" });
}

/**
 * Equal answers, except latency quantiles: t-digest is an estimate whose implementation changed
 * between 18.16 and current servers, so a quantile of a few dozen values may land on a neighbour
 * (290 against 310 ms); within 10 % (or 25 ms) is the same answer.
 */
function assertSameAnswer(current: unknown, before: unknown, path: string): void {
  if (typeof current === "number" && typeof before === "number" && /\.p\d+$/.test(path)) {
    const slack = Math.max(25, Math.abs(before) * 0.1);
    assert.ok(Math.abs(current - before) <= slack, `${path}: ${current} against ${before} on 18.16`);
    return;
  }
  if (typeof current !== "object" || current === null || typeof before !== "object" || before === null) {
    assert.deepEqual(current, before, path);
    return;
  }
  assert.deepEqual(Object.keys(current), Object.keys(before), path);
  for (const [k, v] of Object.entries(current))
    assertSameAnswer(v, (before as Record<string, unknown>)[k], `${path}.${k}`);
}

const ADMIN = create(KeyInfoSchema, { id: "admin", tenantId: "ops", scopes: ["admin"] });

/** The query-API questions a dashboard asks, with every grouping. */
const QUESTIONS: [string, Record<string, string>][] = [
  ["usage", { granularity: "hour" }],
  ["usage", { granularity: "hour", group_by: "tenant,model" }],
  ["usage", { granularity: "day", group_by: "team,key,deployment" }],
  ["usage", { granularity: "minute", tenant: "acme", model: "gem'ini" }],
  ["latency", { granularity: "hour", group_by: "model" }],
  ["latency", { granularity: "day", group_by: "deployment", tenant: "globex" }],
  ["errors", { group_by: "model" }],
  ["errors", { granularity: "hour", group_by: "tenant,key" }],
  ["guard", { group_by: "tenant,direction" }],
  ["guard", { granularity: "hour" }],
  ["top-keys", { by: "cost", limit: "3" }],
  ["top-keys", { by: "requests", tenant: "acme" }],
];

describe("analytics on a current ClickHouse (chDB) as on 18.16", () => {
  let chdb: Chdb;
  let old: ClickHouseClient;
  const db = `cur_${uniquePrefix()}`;
  const deps = (clickhouse: ClickHouseClient): QueryDeps =>
    ({
      clickhouse,
      database: db,
      keys: { authenticate: () => Promise.resolve(ADMIN) },
      log: { warn() {}, error() {}, info() {}, debug() {} },
    }) as unknown as QueryDeps;

  before(async () => {
    chdb = await startChdb();
    old = createClient({ url: testStack().clickhouseUrl });
  });
  after(async () => {
    await old?.command({ query: `DROP DATABASE IF EXISTS ${db}` });
    await old?.close();
    await chdb?.close();
  });

  it("runs on a current ClickHouse", () => {
    const major = Number(chdb.version.split(".")[0]);
    assert.ok(major >= 24, `chDB's ClickHouse is ${chdb.version}`);
  });

  it("applies every migration once, on both", async () => {
    const all = readMigrations().map((m) => m.name);
    for (const client of [chdb.client, old]) {
      assert.deepEqual((await applyMigrations(client, db)).applied, all);
      assert.deepEqual((await applyMigrations(client, db)).skipped, all);
    }
  });

  it("stores each request once when a batch comes again, and the rollup agrees with the raw rows", async () => {
    const events = usageEvents();
    const verdicts = guardVerdicts();
    for (const client of [chdb.client, old]) {
      await write(client, db, events.slice(0, 200), verdicts);
      // Redelivered: the first 200 again with the rest.
      await write(client, db, events, verdicts);
    }
    const counts = `SELECT count() AS rows, uniqExact(request_id) AS ids, sum(cost_nano_usd) AS cost FROM ${db}.requests`;
    const current = (await chdb.sql(counts, "TSV")).trim().split("\t");
    assert.deepEqual(current, ["300", "300", String(events.reduce((n, e) => n + e.costNanoUsd, 0n))]);
    const rollup = `SELECT countMerge(requests) FROM ${db}.requests_by_minute`;
    assert.equal((await chdb.sql(rollup, "TSV")).trim(), "300");
  });

  for (const [endpoint, params] of QUESTIONS) {
    it(`answers ${endpoint} ${new URLSearchParams(params).toString()} as 18.16 does`, async () => {
      const search = new URLSearchParams({
        from: new Date(NOW - 4 * HOUR).toISOString(),
        to: new Date(NOW + HOUR).toISOString(),
        ...params,
      });
      const path = `/analytics/v1/${endpoint}`;
      const current = await answer(deps(chdb.client), path, search, "k");
      const before = await answer(deps(old), path, search, "k");
      assertSameAnswer(current, before, endpoint);
      assert.ok(JSON.stringify(current).length > 50, "the question has an answer");
    });
  }

  it("drops the monthly partitions before the retention window from every table", async () => {
    const old3y = create(UsageEventSchema, {
      requestId: "ancient",
      tenantId: "acme",
      status: "ok",
      receivedUnixMs: BigInt(Date.UTC(new Date().getUTCFullYear() - 3, 0, 15)),
    });
    await write(chdb.client, db, [old3y], []);
    const dropped = await dropExpiredPartitions(chdb.client, db, 12);
    assert.ok(
      dropped.some((d) => d.table === "requests"),
      JSON.stringify(dropped),
    );
    assert.equal(
      (await chdb.sql(`SELECT count() FROM ${db}.requests WHERE request_id = 'ancient'`, "TSV")).trim(),
      "0",
    );
    assert.equal((await chdb.sql(`SELECT count() FROM ${db}.requests`, "TSV")).trim(), "300");
  });
});

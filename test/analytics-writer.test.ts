// The analytics writer against the real NATS and ClickHouse (18.16 here): requests through the
// pipeline become exactly one `requests` row each, with their usage event's tokens and cost,
// quickly; rollups agree with the raw rows; a redelivery of every event, a writer SIGKILLed
// mid-batch, and ClickHouse cut away for a minute under traffic lose nothing and double nothing. ClickHouse
// is cut through a TCP proxy of this file's own (the shared server stays up for other files),
// and this file writes to a private database.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient, type ClickHouseClient } from "@clickhouse/client";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { ensureAnalyticsConsumer } from "@switchyard/analytics/consumer";
import { applyMigrations } from "@switchyard/analytics/migrations";
import { dropExpiredPartitions } from "@switchyard/analytics/retention";
import { eventsStreamName, subjects } from "@switchyard/common";
import type { ServiceProcess } from "@switchyard/devkit";
import { UsageEventBatchSchema, UsageEventSchema, UsageSchema, type UsageEvent } from "@switchyard/proto";
import OpenAI from "openai";
import { testStack } from "./harness/env.js";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";
import { metric, metricsOf } from "./harness/metrics.js";
import { startTcpProxy, type TcpProxy } from "./harness/tcp-proxy.js";
import { waitForUsageEvents } from "./harness/usage-events.js";

const ACK_WAIT_MS = 4_000;
/** How long ClickHouse is away in the outage test (the minute; shorter to try it out). */
const OUTAGE_MS = Number(process.env.ANALYTICS_OUTAGE_MS ?? 60_000);

describe("analytics writer", () => {
  let gw: GatewayUnderTest;
  let proxy: TcpProxy;
  let ch: ClickHouseClient;
  let db: string;
  let writer: ServiceProcess;
  let openai: OpenAI;
  let seq = 0;

  const startWriter = async (): Promise<ServiceProcess> => {
    const p = await gw.cluster.start("analytics", {
      SWITCHYARD_CLICKHOUSE_URL: proxy.url,
      SWITCHYARD_CLICKHOUSE_DATABASE: db,
      SWITCHYARD_ANALYTICS_BATCH_ROWS: "1000",
      SWITCHYARD_ANALYTICS_LINGER_MS: "200",
      SWITCHYARD_ANALYTICS_ACK_WAIT_MS: String(ACK_WAIT_MS),
      SWITCHYARD_ANALYTICS_HTTP_PORT: "0",
    });
    await gw.cluster.waitReady(p, 60_000);
    return p;
  };

  const one = async <T>(sql: string): Promise<T> => {
    const rows = await (await ch.query({ query: sql, format: "JSONEachRow" })).json<T>();
    assert.ok(rows[0] !== undefined, `no row from ${sql}`);
    return rows[0];
  };
  /** Rows and distinct request ids (no FINAL: what is physically stored). */
  const counts = async (where = "1"): Promise<{ rows: number; ids: number }> => {
    const r = await one<{ rows: string; ids: string }>(
      `SELECT count() AS rows, uniqExact(request_id) AS ids FROM ${db}.requests WHERE ${where}`,
    );
    return { rows: Number(r.rows), ids: Number(r.ids) };
  };
  const waitFor = async (what: string, cond: () => Promise<boolean>, timeoutMs: number): Promise<void> => {
    const until = Date.now() + timeoutMs;
    while (!(await cond())) {
      if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(100);
    }
  };
  const lag = async (): Promise<number> => {
    const jsm = await jetstreamManager(gw.nc);
    const info = await jsm.consumers.info(eventsStreamName(gw.prefix), "analytics");
    return info.num_pending + info.num_ack_pending;
  };

  /** Chat requests through the gateway, with ids of the test's choosing. */
  const chat = async (n: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = `aw-${gw.prefix}-${seq++}`;
      await openai.chat.completions.create(
        { model: "mock-gpt", messages: [{ role: "user", content: `hello ${id}` }] },
        { headers: { "x-request-id": id } },
      );
      ids.push(id);
    }
    return ids;
  };

  /**
   * Synthetic usage events straight to JetStream, 256 to a message as ingress publishes them;
   * request ids `<tenant>-<i>` for i from `from`.
   */
  // One receive time per tenant: an event published again for the same request is the same
  // event (a replay), as the gateway's own redeliveries are — not a new request with that id.
  const syntheticTimes = new Map<string, number>();
  const publishSynthetic = async (tenant: string, n: number, from = 0): Promise<void> => {
    const js = jetstream(gw.nc);
    const now = syntheticTimes.get(tenant) ?? Date.now();
    syntheticTimes.set(tenant, now);
    for (let start = from; start < from + n; start += 256) {
      const events: UsageEvent[] = [];
      for (let i = start; i < Math.min(from + n, start + 256); i++)
        events.push(
          create(UsageEventSchema, {
            requestId: `${tenant}-${i}`,
            tenantId: tenant,
            keyId: "synthetic",
            model: "mock-gpt",
            status: "ok",
            usage: create(UsageSchema, { promptTokens: 10, completionTokens: i % 7 }),
            costNanoUsd: BigInt(1000 + i),
            receivedUnixMs: BigInt(now - 100),
            finishedUnixMs: BigInt(now),
          }),
        );
      const batchId = `${tenant}-batch-${start}`;
      await js.publish(
        subjects(gw.prefix).usageEvents,
        toBinary(UsageEventBatchSchema, create(UsageEventBatchSchema, { batchId, events })),
        { msgID: batchId },
      );
    }
  };

  before(async () => {
    gw = await startGateway();
    db = `aw_${gw.prefix}`;
    const url = testStack().clickhouseUrl;
    ch = createClient({ url, request_timeout: 30_000 });
    proxy = await startTcpProxy(new URL(url));
    openai = new OpenAI({ baseURL: gw.httpUrl, apiKey: KEYS.dev, maxRetries: 0 });
    writer = await startWriter();
  });

  after(async () => {
    await gw?.stop();
    await proxy?.close();
    await ch?.command({ query: `DROP DATABASE IF EXISTS ${db}` });
    await ch?.close();
  });

  it("applies the migrations once: a second run finds them all applied", async () => {
    const again = await applyMigrations(ch, db);
    assert.deepEqual(again, {
      applied: [],
      skipped: ["0001_requests.sql", "0002_guard_verdicts.sql", "0003_rollups.sql"],
    });
    const tables = await (
      await ch.query({
        query: `SELECT name FROM system.tables WHERE database = '${db}' ORDER BY name`,
        format: "JSONEachRow",
      })
    ).json<{ name: string }>();
    assert.deepEqual(
      tables.map((t) => t.name),
      ["guard_verdicts", "requests", "requests_by_minute", "requests_by_minute_mv", "schema_migrations"],
    );
  });

  it("writes one row per request with its usage event's tokens and cost", async () => {
    const ids = await chat(20);
    const events = (await waitForUsageEvents(gw.nc, gw.prefix, ids)).filter((e) => ids.includes(e.requestId));
    assert.equal(events.length, 20);
    const list = ids.map((id) => `'${id}'`).join(",");
    await waitFor("20 rows", async () => (await counts(`request_id IN (${list})`)).rows >= 20, 10_000);
    assert.deepEqual(await counts(`request_id IN (${list})`), { rows: 20, ids: 20 });
    const rows = await (
      await ch.query({
        query: `SELECT request_id, tenant_id, key_id, model, deployment, door, status, prompt_tokens, completion_tokens, cached_read_tokens, cost_nano_usd, latency_ms, stage_names FROM ${db}.requests WHERE request_id IN (${list})`,
        format: "JSONEachRow",
      })
    ).json<Record<string, string | number | string[]>>();
    for (const e of events) {
      const row = rows.find((r) => r.request_id === e.requestId);
      assert.ok(row, `row of ${e.requestId}`);
      assert.deepEqual(
        {
          tenant: row.tenant_id,
          key: row.key_id,
          model: row.model,
          deployment: row.deployment,
          door: row.door,
          status: row.status,
          prompt: Number(row.prompt_tokens),
          completion: Number(row.completion_tokens),
          cached: Number(row.cached_read_tokens),
          cost: String(row.cost_nano_usd),
          latency: Number(row.latency_ms),
        },
        {
          tenant: e.tenantId,
          key: e.keyId,
          model: e.model,
          deployment: e.deployment,
          door: e.door,
          status: e.status,
          prompt: e.usage?.promptTokens ?? 0,
          completion: e.usage?.completionTokens ?? 0,
          cached: e.usage?.cachedTokens ?? 0,
          cost: e.costNanoUsd.toString(),
          latency: Number(e.finishedUnixMs - e.receivedUnixMs),
        },
      );
      assert.deepEqual(
        row.stage_names,
        e.timings.map((t) => t.stage),
      );
      assert.ok(
        Number(row.prompt_tokens) > 0 && BigInt(String(row.cost_nano_usd)) > 0n,
        "usage and cost recorded",
      );
    }
  });

  it("stores text exactly as sent: tabs, newlines, quotes, backslashes, NUL, non-ASCII", async () => {
    const hostile = "a\tb\nc\r'd\"e\\f\u0000g ü 漢 \u{1F600} [x] ,";
    const event = create(UsageEventSchema, {
      requestId: "hostile-1",
      tenantId: "hostile",
      keyId: "synthetic",
      model: hostile,
      endUser: hostile,
      status: "ok",
      receivedUnixMs: BigInt(Date.now() - 50),
      finishedUnixMs: BigInt(Date.now()),
      guard: { action: 2, findings: [{ kind: "pii", rule: hostile, count: 1, action: 2 }] },
    });
    await jetstream(gw.nc).publish(
      subjects(gw.prefix).usageEvents,
      toBinary(
        UsageEventBatchSchema,
        create(UsageEventBatchSchema, { batchId: "hostile-b", events: [event] }),
      ),
      { msgID: "hostile-b" },
    );
    await waitFor("the hostile row", async () => (await counts("tenant_id = 'hostile'")).rows === 1, 10_000);
    const rs = await ch.query({
      query: `SELECT model, end_user, guard_rules FROM ${db}.requests WHERE tenant_id = 'hostile'`,
      format: "JSONEachRow",
    });
    const [row] = await rs.json<{ model: string; end_user: string; guard_rules: string[] }>();
    assert.deepEqual(row, { model: hostile, end_user: hostile, guard_rules: [hostile] });
  });

  it("makes a request's row queryable within 5 s of its answer", async () => {
    const t0 = Date.now();
    const [id] = await chat(1);
    await waitFor(`the row of ${id}`, async () => (await counts(`request_id = '${id}'`)).rows === 1, 5_000);
    assert.ok(Date.now() - t0 < 5_000);
  });

  it("keeps minute rollups that agree with aggregates over the raw rows", async () => {
    await publishSynthetic("rollup", 600);
    await waitFor("600 rollup rows", async () => (await counts("tenant_id = 'rollup'")).rows === 600, 15_000);
    const raw = await (
      await ch.query({
        query: `SELECT tenant_id, toString(toStartOfMinute(received_at)) AS minute, key_id, model, deployment, count() AS requests, sum(status != 'ok') AS errors, sum(prompt_tokens) AS prompt, sum(completion_tokens) AS completion, sum(cost_nano_usd) AS cost FROM ${db}.requests GROUP BY tenant_id, minute, key_id, model, deployment ORDER BY tenant_id, minute, key_id, model, deployment`,
        format: "JSONEachRow",
      })
    ).json();
    const rolled = await (
      await ch.query({
        query: `SELECT tenant_id, toString(minute) AS minute, key_id, model, deployment, countMerge(requests) AS requests, sumMerge(errors) AS errors, sumMerge(prompt_tokens) AS prompt, sumMerge(completion_tokens) AS completion, sumMerge(cost_nano_usd) AS cost FROM ${db}.requests_by_minute GROUP BY tenant_id, minute, key_id, model, deployment ORDER BY tenant_id, minute, key_id, model, deployment`,
        format: "JSONEachRow",
      })
    ).json();
    assert.ok(raw.length >= 2, "rows of the pipeline and of the synthetic tenant");
    assert.deepEqual(rolled, raw);
    const q = await one<{ p: number[] }>(
      `SELECT quantilesTDigestMerge(0.5, 0.95, 0.99)(latency_ms) AS p FROM ${db}.requests_by_minute WHERE tenant_id = 'rollup'`,
    );
    assert.deepEqual(q.p.map(Number), [100, 100, 100]);
  });

  it("stores each request once when every event is delivered again", async () => {
    const before = await counts();
    assert.equal(before.rows, before.ids);
    const metricsBefore = await metricsOf(writer.metricsPort);
    const jsm = await jetstreamManager(gw.nc);
    await jsm.consumers.delete(eventsStreamName(gw.prefix), "analytics");
    await ensureAnalyticsConsumer(gw.nc, gw.prefix, ACK_WAIT_MS);
    const skipped = (text: string): number =>
      metric(text, "switchyard_analytics_duplicates_skipped_total", { table: "requests" });
    await waitFor(
      "the writer to see every event again",
      async () => skipped(await metricsOf(writer.metricsPort)) - skipped(metricsBefore) >= before.rows,
      30_000,
    );
    await waitFor("no lag", async () => (await lag()) === 0, 10_000);
    assert.deepEqual(await counts(), before);
  });

  it("stores each request once when it comes again in the next batch, looked up while the first is written", async () => {
    // Two messages' worth of overlap: rows 500-999 are in batch k (0-999) and in batch k+1
    // (500-1499), whose lookup runs while batch k is still being inserted.
    await publishSynthetic("overlap", 1_000, 0);
    await publishSynthetic("overlap", 1_000, 500);
    await waitFor("1,500 requests", async () => (await counts("tenant_id = 'overlap'")).ids >= 1_500, 20_000);
    await waitFor("no lag", async () => (await lag()) === 0, 10_000);
    assert.deepEqual(await counts("tenant_id = 'overlap'"), { rows: 1_500, ids: 1_500 });
  });

  it("loses and doubles nothing when the writer is SIGKILLed mid-batch", async () => {
    const total = 20_000;
    const publishing = publishSynthetic("kill", total);
    await waitFor("the first rows", async () => (await counts("tenant_id = 'kill'")).rows > 0, 20_000);
    await gw.cluster.stopProcess(writer, "SIGKILL");
    const atKill = await counts("tenant_id = 'kill'");
    await publishing;
    assert.ok(atKill.rows < total, `killed mid-way (${atKill.rows} of ${total} written)`);
    writer = await startWriter();
    await waitFor(`${total} rows`, async () => (await counts("tenant_id = 'kill'")).rows >= total, 60_000);
    await waitFor("no lag", async () => (await lag()) === 0, 20_000);
    assert.deepEqual(await counts("tenant_id = 'kill'"), { rows: total, ids: total });
  });

  it("keeps events while ClickHouse is away for a minute under traffic, then drains the backlog", async () => {
    await proxy.cut();
    const readyz = async (): Promise<{ status: number; text: string }> => {
      const res = await fetch(`http://127.0.0.1:${writer.metricsPort}/readyz`);
      return { status: res.status, text: await res.text() };
    };
    await waitFor("readiness to report ClickHouse", async () => (await readyz()).status === 503, 10_000);
    assert.match((await readyz()).text, /clickhouse/);
    // Traffic all through the outage: synthetic events and real requests every few seconds.
    // Far longer than the ack wait: held messages are kept alive, the rest wait in the stream.
    const ids: string[] = [];
    let published = 0;
    for (const until = Date.now() + OUTAGE_MS; Date.now() < until;) {
      await publishSynthetic("outage", 500, published);
      published += 500;
      ids.push(...(await chat(1)));
      await sleep(Math.max(0, Math.min(5_000, until - Date.now())));
    }
    assert.equal((await counts("tenant_id = 'outage'")).rows, 0);
    await waitFor(
      "the lag gauge to show the backlog",
      async () => metric(await metricsOf(writer.metricsPort), "switchyard_analytics_consumer_lag", {}) > 0,
      10_000,
    );
    await proxy.restore();
    await waitFor(
      "the backlog to drain",
      async () => (await counts("tenant_id = 'outage'")).rows >= published,
      60_000,
    );
    const list = ids.map((id) => `'${id}'`).join(",");
    await waitFor(
      "the requests made meanwhile",
      async () => (await counts(`request_id IN (${list})`)).rows >= ids.length,
      20_000,
    );
    await waitFor("readiness", async () => (await readyz()).status === 200, 10_000);
    await waitFor("no lag", async () => (await lag()) === 0, 20_000);
    assert.deepEqual(await counts("tenant_id = 'outage'"), { rows: published, ids: published });
    assert.deepEqual(await counts(`request_id IN (${list})`), { rows: ids.length, ids: ids.length });
    const all = await counts();
    assert.equal(all.rows, all.ids, "no request stored twice");
  });

  it("drops the monthly partitions before the retention window from every table", async () => {
    const old = Math.floor(Date.UTC(new Date().getUTCFullYear() - 3, 0, 15) / 1000);
    await ch.insert({
      table: `${db}.requests`,
      values: [
        { received_at: old, request_id: "ancient", tenant_id: "retention", status: "ok", inserted_at: old },
      ],
      format: "JSONEachRow",
    });
    await ch.insert({
      table: `${db}.guard_verdicts`,
      values: [
        {
          received_at: old,
          request_id: "ancient",
          tenant_id: "retention",
          direction: "input",
          inserted_at: old,
        },
      ],
      format: "JSONEachRow",
    });
    const partitions = async (): Promise<string[]> =>
      (
        await (
          await ch.query({
            query: `SELECT DISTINCT concat(table, ':', partition_id) AS p FROM system.parts WHERE active AND database = '${db}' ORDER BY p`,
            format: "JSONEachRow",
          })
        ).json<{ p: string }>()
      ).map((r) => r.p);
    const month = `${new Date(old * 1000).getUTCFullYear()}01`;
    const beforeDrop = await partitions();
    for (const t of ["requests", "guard_verdicts", "requests_by_minute"])
      assert.ok(beforeDrop.includes(`${t}:${month}`));
    const kept = await counts("tenant_id != 'retention'");
    const dropped = await dropExpiredPartitions(ch, db, 13);
    assert.deepEqual(dropped.map((d) => `${d.table}:${d.partition}`).sort(), [
      `guard_verdicts:${month}`,
      `requests:${month}`,
      `requests_by_minute:${month}`,
    ]);
    const afterDrop = await partitions();
    assert.ok(!afterDrop.some((p) => p.endsWith(`:${month}`)));
    assert.deepEqual(await counts("tenant_id != 'retention'"), kept);
  });
});

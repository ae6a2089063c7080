// `npm run bench:analytics`: how fast the analytics writer moves usage events from JetStream
// into ClickHouse. Starts a private NATS and ClickHouse (18.16 here) on free ports, one analytics
// process (BENCH_WRITERS=2: two replicas sharing the consumer), publishes synthetic usage events
// (batches of 256, as ingress publishes them) as fast as JetStream takes them, and waits until
// ClickHouse holds every row. Prints events/s written and the writers' CPU milliseconds per 1,000
// events. Bounded: gives up after 180 s.
//   npm run bench:analytics -- [events=300000]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@clickhouse/client";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { ensureStreams, subjects } from "@switchyard/common";
import { createCluster } from "@switchyard/devkit";
import { freePorts, repoRoot, startStack } from "@switchyard/local-stack";
import {
  Action,
  GuardResultSchema,
  UsageEventBatchSchema,
  UsageEventSchema,
  UsageSchema,
  type UsageEvent,
} from "@switchyard/proto";
import { cpuSeconds } from "./cpu.js";

const EVENTS = Number(process.argv[2] ?? 300_000);
const PER_MESSAGE = 256;
const DEADLINE_MS = 180_000;
const PUBLISH_WINDOW = 64;
const WRITERS = Number(process.env.BENCH_WRITERS ?? 1);
const log = (line: string): void => console.log(`[bench:analytics] ${line}`);

function syntheticEvent(i: number, now: number): UsageEvent {
  const received = now - 2_000 + (i % 1000);
  return create(UsageEventSchema, {
    requestId: `bench-${i.toString(36).padStart(8, "0")}-${(i * 2654435761) % 1e9}`,
    tenantId: `tenant-${i % 50}`,
    keyId: `key-${i % 500}`,
    teamId: `team-${i % 20}`,
    model: i % 3 === 0 ? "gpt-4o-mini" : "claude-3-5-haiku",
    provider: i % 3 === 0 ? "openai" : "anthropic",
    deployment: `dep-${i % 6}`,
    upstreamModel: "mock-gpt",
    door: "http",
    endUser: `user-${i % 1000}`,
    usage: create(UsageSchema, {
      promptTokens: 100 + (i % 900),
      completionTokens: 20 + (i % 300),
      cachedTokens: i % 7 === 0 ? 64 : 0,
      reasoningTokens: i % 11 === 0 ? 32 : 0,
    }),
    costNanoUsd: BigInt(15_000 + (i % 90_000)),
    costInputNanoUsd: BigInt(10_000),
    costOutputNanoUsd: BigInt(5_000 + (i % 90_000)),
    status: i % 50 === 0 ? "rate_limited" : "ok",
    httpStatus: i % 50 === 0 ? 429 : 200,
    stream: i % 2 === 0,
    receivedUnixMs: BigInt(received),
    finishedUnixMs: BigInt(received + 150 + (i % 400)),
    ttftMs: i % 2 === 0 ? 40 + (i % 100) : 0,
    upstreamMs: 120 + (i % 300),
    attempts: 1,
    routePolicy: "cheapest",
    routeReason: "cheapest within objectives",
    timings: ["ingress", "guard", "router", "meter", "provider"].map((stage, k) => ({
      stage,
      instance: `host:${1000 + k}`,
      processingUs: 50 + ((i * (k + 3)) % 400),
    })),
    guard:
      i % 10 === 0
        ? create(GuardResultSchema, {
            action: Action.FLAG,
            findings: [
              {
                kind: "email",
                rule: "pii.email",
                count: 1,
                action: Action.FLAG,
                valueHashes: ["0123456789abcdef"],
              },
            ],
          })
        : create(GuardResultSchema, { action: Action.ALLOW }),
  });
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "sy-bench-analytics-"));
  const stack = await startStack({ ports: await freePorts(), dataDir, servers: ["nats", "clickhouse"], log });
  const prefix = "benchaw";
  const database = "bench_analytics";
  const nc = await connect({ servers: stack.urls.nats });
  const ch = createClient({ url: stack.urls.clickhouse, request_timeout: 30_000 });
  const cluster = createCluster({
    root: repoRoot(),
    logDir: join(dataDir, "logs"),
    metricsPortBase: "free",
    env: {
      SWITCHYARD_NATS_URL: stack.urls.nats,
      SWITCHYARD_SUBJECT_PREFIX: prefix,
      SWITCHYARD_CLICKHOUSE_URL: stack.urls.clickhouse,
      SWITCHYARD_CLICKHOUSE_DATABASE: database,
      SWITCHYARD_LOG_LEVEL: "warn",
      SWITCHYARD_DATA_DIR: join(dataDir, "data"),
      // Replicas must not fight over the query API's port.
      SWITCHYARD_ANALYTICS_HTTP_PORT: "0",
    },
  });
  try {
    await ensureStreams(nc, prefix);
    const writers = [];
    for (let i = 0; i < WRITERS; i++) writers.push(await cluster.start("analytics"));
    for (const w of writers) await cluster.waitReady(w, 60_000);
    const pids = writers.map((w) => w.child.pid ?? 0);
    const cpuOfWriters = (): number => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    log(`${WRITERS} analytics writer${WRITERS === 1 ? "" : "s"}`);

    log(`encoding ${EVENTS} synthetic usage events`);
    const now = Date.now();
    const messages: { id: string; data: Uint8Array }[] = [];
    for (let start = 0; start < EVENTS; start += PER_MESSAGE) {
      const events: UsageEvent[] = [];
      for (let i = start; i < Math.min(EVENTS, start + PER_MESSAGE); i++) events.push(syntheticEvent(i, now));
      const batchId = `bench-batch-${start}`;
      messages.push({
        id: batchId,
        data: toBinary(UsageEventBatchSchema, create(UsageEventBatchSchema, { batchId, events })),
      });
    }

    const count = async (): Promise<number> =>
      Number(
        (
          await (
            await ch.query({ query: `SELECT count() AS n FROM ${database}.requests`, format: "JSONEachRow" })
          ).json<{ n: string }>()
        )[0]?.n ?? 0,
      );
    const js = jetstream(nc);
    const subject = subjects(prefix).usageEvents;
    const cpu0 = cpuOfWriters();
    const t0 = performance.now();
    const inFlight = new Set<Promise<unknown>>();
    for (const m of messages) {
      const p = js.publish(subject, m.data, { msgID: m.id }).finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= PUBLISH_WINDOW) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    const published = performance.now() - t0;
    log(
      `published ${EVENTS} events in ${(published / 1000).toFixed(2)} s (${Math.round(EVENTS / (published / 1000))}/s)`,
    );

    let n = 0;
    while ((n = await count()) < EVENTS) {
      if (performance.now() - t0 > DEADLINE_MS)
        throw new Error(`only ${n} of ${EVENTS} rows after ${DEADLINE_MS} ms`);
      await sleep(50);
    }
    const elapsed = (performance.now() - t0) / 1000;
    const cpuMs = (cpuOfWriters() - cpu0) * 1000;
    const unique = Number(
      (
        await (
          await ch.query({
            query: `SELECT uniqExact(request_id) AS n FROM ${database}.requests`,
            format: "JSONEachRow",
          })
        ).json<{ n: string }>()
      )[0]?.n ?? 0,
    );
    log(`rows in ClickHouse: ${n} (${unique} distinct request ids)`);
    log(
      `written: ${Math.round(EVENTS / elapsed)} events/s end to end (${elapsed.toFixed(2)} s for ${EVENTS})`,
    );
    log(
      `writer CPU: ${((cpuMs / EVENTS) * 1000).toFixed(1)} ms per 1,000 events (${Math.round(cpuMs)} ms in all)`,
    );
    const texts = await Promise.all(
      writers.map(async (w) => (await fetch(`http://127.0.0.1:${w.metricsPort}/metrics`)).text()),
    );
    /** A metric summed over the writers. */
    const value = (name: string): number =>
      texts.reduce((sum, text) => {
        const line = text.split("\n").find((l) => l.startsWith(name));
        return sum + (line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1)));
      }, 0);
    const batches = value("switchyard_analytics_batch_rows_count");
    const insertMs = value("switchyard_analytics_insert_duration_seconds_sum") * 1000;
    log(
      `batches: ${batches}, ${Math.round(EVENTS / Math.max(1, batches))} events each, ${(insertMs / Math.max(1, batches)).toFixed(0)} ms per batch in ClickHouse (lookup and insert)`,
    );
    if (unique !== EVENTS || n !== EVENTS) throw new Error(`expected ${EVENTS} rows, one per request id`);
  } finally {
    await cluster.stop();
    await ch.close();
    await nc.close();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`[bench:analytics] ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);

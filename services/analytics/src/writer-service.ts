// The writer side of the analytics service: applies the migrations (retrying until ClickHouse
// answers), declares the `analytics` consumer, runs the writer, the daily retention task and
// the consumer-lag gauge, and says through readiness whether ClickHouse takes the writes.
import { setTimeout as sleep } from "node:timers/promises";
import { jetstreamManager } from "@nats-io/jetstream";
import type { ClickHouseClient } from "@clickhouse/client";
import { eventsStreamName, type ReadinessCheck, type ServiceContext } from "@switchyard/common";
import type { AnalyticsConfig } from "./config.js";
import { ANALYTICS_CONSUMER, ensureAnalyticsConsumer } from "./consumer.js";
import { writerMetrics } from "./metrics.js";
import { applyMigrations } from "./migrations.js";
import { dropExpiredPartitions } from "./retention.js";
import { backoffMs, startWriter, type Writer } from "./writer.js";

const DAY_MS = 24 * 3600 * 1000;
const LAG_EVERY_MS = 5_000;
const PROBE_EVERY_MS = 2_000;

export interface WriterService {
  readiness: Record<string, ReadinessCheck>;
  stop(): Promise<void>;
}

export function startWriterService(
  ctx: ServiceContext<AnalyticsConfig>,
  clickhouse: ClickHouseClient,
): WriterService {
  const { config, log, nats } = ctx;
  const metrics = writerMetrics(ctx.side.registry);
  const prefix = ctx.subjects.prefix;
  let stopped = false;
  const stopping = new AbortController();
  let phase: true | string = "applying migrations";
  let reachable = true;
  let writer: Writer | undefined;
  const timers: NodeJS.Timeout[] = [];

  const retention = async (): Promise<void> => {
    try {
      const dropped = await dropExpiredPartitions(
        clickhouse,
        config.clickhouseDatabase,
        config.retentionMonths,
      );
      for (const d of dropped) metrics.partitionsDropped.inc({ table: d.table });
      if (dropped.length > 0) log.info({ dropped }, "retention dropped monthly partitions");
    } catch (err) {
      log.warn({ err }, "retention failed; tried again tomorrow");
    }
  };

  const lag = async (): Promise<void> => {
    try {
      const jsm = await jetstreamManager(nats.nc);
      const info = await jsm.consumers.info(eventsStreamName(prefix), ANALYTICS_CONSUMER);
      metrics.lag.set(info.num_pending + info.num_ack_pending);
    } catch (err) {
      log.debug({ err }, "consumer lag unknown");
    }
  };

  const probe = async (): Promise<void> => {
    const ping = await clickhouse.ping();
    if (ping.success !== reachable) log.info({ reachable: ping.success }, "clickhouse reachability changed");
    reachable = ping.success;
    if (!ping.success) metrics.clickhouseUp.set(0);
  };

  const begin = async (): Promise<void> => {
    for (let attempt = 0; !stopped; attempt++) {
      try {
        const result = await applyMigrations(clickhouse, config.clickhouseDatabase, {
          dir: config.migrationsDir,
        });
        if (result.applied.length > 0) log.info({ applied: result.applied }, "clickhouse migrations applied");
        await ensureAnalyticsConsumer(nats.nc, prefix, config.ackWaitMs);
        break;
      } catch (err) {
        phase = `starting: ${(err as Error).message}`;
        log.warn({ err, attempt }, "analytics cannot start yet; retrying");
        await sleep(backoffMs(attempt, 10_000), undefined, { signal: stopping.signal }).catch(
          () => undefined,
        );
      }
    }
    if (stopped) return;
    writer = startWriter({
      nc: nats.nc,
      prefix,
      clickhouse,
      database: config.clickhouseDatabase,
      log,
      metrics,
      batchRows: config.batchRows,
      lingerMs: config.lingerMs,
      ackWaitMs: config.ackWaitMs,
    });
    phase = true;
    void retention();
    timers.push(setInterval(() => void retention(), DAY_MS));
  };

  void lag();
  timers.push(setInterval(() => void lag(), LAG_EVERY_MS));
  timers.push(setInterval(() => void probe(), PROBE_EVERY_MS));
  const started = begin();

  return {
    readiness: {
      clickhouse: () => {
        if (phase !== true) return phase;
        if (!reachable) return "unreachable";
        return writer?.status() ?? "starting";
      },
    },
    async stop() {
      stopped = true;
      stopping.abort();
      for (const t of timers) clearInterval(t);
      await started;
      await writer?.stop();
    },
  };
}

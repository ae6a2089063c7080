import { baseSettings, env, loadEnv, settings } from "@switchyard/common";
import { z } from "zod";
import { DEFAULT_MIGRATIONS_DIR } from "./migrations.js";

const spec = {
  ...baseSettings(9105),
  clickhouseUrl: env("SWITCHYARD_CLICKHOUSE_URL", z.url().default("http://127.0.0.1:8123")),
  clickhouseDatabase: env(
    "SWITCHYARD_CLICKHOUSE_DATABASE",
    z
      .string()
      .regex(/^[A-Za-z_]\w*$/, "must be letters, digits and underscores, not starting with a digit")
      .default("switchyard"),
  ),
  /** The folder of the numbered *.sql migrations applied at start. */
  migrationsDir: env("SWITCHYARD_CLICKHOUSE_MIGRATIONS_DIR", z.string().default(DEFAULT_MIGRATIONS_DIR)),
  /** A batch is written to ClickHouse once it holds this many rows... */
  batchRows: env("SWITCHYARD_ANALYTICS_BATCH_ROWS", settings.positiveInt().default(5_000)),
  /** ...or this many milliseconds after its first event arrived. */
  lingerMs: env("SWITCHYARD_ANALYTICS_LINGER_MS", settings.positiveInt().default(500)),
  /** How long JetStream waits for an ack before it redelivers a message (to any replica). */
  ackWaitMs: env("SWITCHYARD_ANALYTICS_ACK_WAIT_MS", settings.positiveInt().min(1_000).default(30_000)),
  /** Months of data kept, the current month included; older monthly partitions are dropped daily. */
  retentionMonths: env("SWITCHYARD_ANALYTICS_RETENTION_MONTHS", settings.positiveInt().default(13)),
  /** The query API's listener (docs/analytics.md); port 0 takes any free port. */
  analyticsHttpHost: env("SWITCHYARD_ANALYTICS_HTTP_HOST", z.string().default("127.0.0.1")),
  analyticsHttpPort: env(
    "SWITCHYARD_ANALYTICS_HTTP_PORT",
    z.coerce.number().int().min(0).max(65535).default(8082),
  ),
};

export type AnalyticsConfig = ReturnType<typeof loadConfig>;

export const loadConfig = (source: NodeJS.ProcessEnv) => loadEnv(spec, source);

import { baseSettings, env, loadEnv, loadGatewayConfig, settings } from "@switchyard/common";
import { z } from "zod";

const spec = {
  ...baseSettings(9106),
  configPath: env("SWITCHYARD_CONFIG", z.string().default("config/switchyard.yaml")),
  temporalAddress: env("SWITCHYARD_TEMPORAL_ADDRESS", z.string().default("127.0.0.1:7233")),
  temporalNamespace: env("SWITCHYARD_TEMPORAL_NAMESPACE", z.string().default("default")),
  /** Lines of a batch read and run together (one Temporal activity each). */
  batchLinesPerPage: env("SWITCHYARD_BATCH_LINES_PER_PAGE", settings.positiveInt().default(100)),
  /**
   * Lines of one page in flight at once. Small by default: batch work should cost interactive
   * traffic little (docs/batches.md, "Interactive latency while a batch runs"), and a 24 h window
   * leaves time.
   */
  batchLinesInFlight: env("SWITCHYARD_BATCH_LINES_IN_FLIGHT", settings.positiveInt().default(4)),
  /** Pages of one batch in flight at once (so a batch runs at most this × lines in flight). */
  batchPagesInFlight: env("SWITCHYARD_BATCH_PAGES_IN_FLIGHT", settings.positiveInt().default(1)),
  /** Lines of one tenant in flight at once in this orchestrator, across all its batches. */
  batchTenantInFlight: env("SWITCHYARD_BATCH_TENANT_IN_FLIGHT", settings.positiveInt().default(8)),
  /** Pages a batch workflow starts before it continues as new (bounds its history). */
  batchPagesPerRun: env("SWITCHYARD_BATCH_PAGES_PER_RUN", settings.positiveInt().default(100)),
  /** Activities this orchestrator runs at once (pages and the batch steps around them). */
  maxConcurrentActivities: env("SWITCHYARD_ORCHESTRATOR_MAX_ACTIVITIES", settings.positiveInt().default(64)),
  /** Requests waiting for an answer at once, beyond which the pipeline client refuses more. */
  maxInFlight: env("SWITCHYARD_MAX_IN_FLIGHT", settings.positiveInt().default(4096)),
  defaultTimeoutMs: env("SWITCHYARD_DEFAULT_TIMEOUT_MS", settings.positiveInt().default(60_000)),
  maxTimeoutMs: env("SWITCHYARD_MAX_TIMEOUT_MS", settings.positiveInt().default(600_000)),
};

export function loadConfig(source: NodeJS.ProcessEnv) {
  const values = loadEnv(spec, source);
  return { ...values, gateway: loadGatewayConfig(values.configPath) };
}

export type OrchestratorConfig = ReturnType<typeof loadConfig>;

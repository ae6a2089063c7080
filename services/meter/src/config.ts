import { env, loadEnv, loadStageConfig, stageSettings } from "@switchyard/common";
import { z } from "zod";

const spec = {
  ...stageSettings(9103),
  redisUrl: env("SWITCHYARD_REDIS_URL", z.string().default("redis://127.0.0.1:6379")),
  redisPrefix: env("SWITCHYARD_REDIS_PREFIX", z.string().default("sy")),
  rateLimitFailMode: env("SWITCHYARD_RATE_LIMIT_FAIL_MODE", z.enum(["open", "closed"]).default("open")),
  /** For tenants that set no `on_store_down.budgets`: what a budget does while Redis is unreachable. */
  budgetFailMode: env("SWITCHYARD_BUDGET_FAIL_MODE", z.enum(["open", "closed"]).default("closed")),
  /** The admin API's listener; port 0 takes any free port (a second replica on one machine). */
  adminHost: env("SWITCHYARD_ADMIN_HOST", z.string().default("127.0.0.1")),
  adminPort: env("SWITCHYARD_ADMIN_PORT", z.coerce.number().int().min(0).max(65535).default(8081)),
};

export const loadConfig = (source: NodeJS.ProcessEnv) => loadStageConfig((s) => loadEnv(spec, s), source);
export type MeterSettings = ReturnType<typeof loadConfig>["settings"];

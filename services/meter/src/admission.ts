// The meter's admission step with its Redis connection: what the meter process runs on its
// queue group, and what ingress runs in-process when the meter is an inline stage.
import type { GatewayConfig, Logger, ReadinessCheck, StageHandler } from "@switchyard/common";
import { Redis } from "ioredis";
import { Counter, type Registry } from "prom-client";
import { createRateLimiter } from "./rate-limit.js";
import { createMeterStage } from "./stage.js";

export interface Admission {
  handler: StageHandler;
  redis: Redis;
  readiness: Record<string, ReadinessCheck>;
  close: () => void;
}

export async function createAdmission(deps: {
  redisUrl: string;
  redisPrefix: string;
  /** While Redis is unreachable: admit uncounted (open), or answer 503 (closed). */
  rateLimitFailMode: "open" | "closed";
  registry?: Registry;
  keys: GatewayConfig["keys"];
  log: Logger;
}): Promise<Admission> {
  // Retry forever: the process stays up through Redis restarts and reports not-ready meanwhile.
  const redis = new Redis(deps.redisUrl, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: true,
    // A check on the request path that takes longer than this has a broken store behind it.
    commandTimeout: 1000,
  });
  redis.on("error", (err) => deps.log.warn({ err: err.message }, "redis error"));
  await redis.connect().catch((err: unknown) => deps.log.warn({ err }, "redis not reachable yet"));
  return {
    handler: createMeterStage({
      keys: deps.keys,
      limiter: createRateLimiter(redis, deps.redisPrefix),
      failMode: deps.rateLimitFailMode,
      onStoreDown: storeDownCounter(deps.registry),
      log: deps.log,
    }),
    redis,
    readiness: { redis: () => redis.status === "ready" || redis.status },
    close: () => redis.disconnect(),
  };
}

/** Requests whose rate limit could not be checked (Redis unreachable), by what was done. */
function storeDownCounter(registry: Registry | undefined): (mode: "open" | "closed") => void {
  const c = new Counter({
    name: "switchyard_rate_limit_store_down_total",
    help: "Requests whose rate limit could not be checked because Redis was unreachable, by fail mode",
    labelNames: ["fail_mode"],
    registers: registry ? [registry] : [],
  });
  return (mode) => c.inc({ fail_mode: mode });
}

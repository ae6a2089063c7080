// The meter's admission step with its Redis connection: what the meter process runs on its
// queue group, and what ingress runs in-process when the meter is an inline stage.
import type { GatewayConfig, Logger, ReadinessCheck, StageHandler } from "@switchyard/common";
import { Redis } from "ioredis";
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
  keys: GatewayConfig["keys"];
  log: Logger;
}): Promise<Admission> {
  // Retry forever: the process stays up through Redis restarts and reports not-ready meanwhile.
  const redis = new Redis(deps.redisUrl, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: true,
  });
  redis.on("error", (err) => deps.log.warn({ err: err.message }, "redis error"));
  await redis.connect().catch((err: unknown) => deps.log.warn({ err }, "redis not reachable yet"));
  return {
    handler: createMeterStage({ keys: deps.keys, limiter: createRateLimiter(redis, deps.redisPrefix) }),
    redis,
    readiness: { redis: () => redis.status === "ready" || redis.status },
    close: () => redis.disconnect(),
  };
}

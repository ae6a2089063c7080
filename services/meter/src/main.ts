import { exitOnFatal, runStage, usageConsumer } from "@switchyard/common";
import { Redis } from "ioredis";
import { loadConfig } from "./config.js";
import { createRateLimiter } from "./rate-limit.js";
import { startSettlement } from "./settlement.js";
import { createMeterStage } from "./stage.js";

runStage({
  name: "meter",
  loadConfig,
  wire: async ({ config, gateway, nats, log }) => {
    // Retry forever: the meter stays up through Redis restarts and reports not-ready meanwhile.
    const redis = new Redis(config.redisUrl, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: true,
    });
    redis.on("error", (err) => log.warn({ err: err.message }, "redis error"));
    await redis.connect().catch((err: unknown) => log.warn({ err }, "redis not reachable yet"));
    const limiter = createRateLimiter(redis, config.redisPrefix);
    const consumer = await usageConsumer(nats.nc, config.subjectPrefix, "meter");
    const settlement = await startSettlement({ consumer, redis, prefix: config.redisPrefix, log });
    return {
      handler: createMeterStage({ keys: gateway.keys, limiter }),
      readiness: { redis: () => redis.status === "ready" || redis.status },
      close: async () => {
        await settlement.stop();
        redis.disconnect();
      },
    };
  },
}).catch(exitOnFatal("meter"));

import { exitOnFatal, runStage, usageConsumer } from "@switchyard/common";
import { createAdmission } from "./admission.js";
import { loadConfig } from "./config.js";
import { startSettlement } from "./settlement.js";

runStage({
  name: "meter",
  loadConfig,
  wire: async ({ config, gateway, nats, log, side }) => {
    const admission = await createAdmission({ ...config, keys: gateway.keys, log, registry: side.registry });
    const consumer = await usageConsumer(nats.nc, config.subjectPrefix, "meter");
    const settlement = await startSettlement({
      consumer,
      redis: admission.redis,
      prefix: config.redisPrefix,
      log,
    });
    return {
      handler: admission.handler,
      readiness: admission.readiness,
      close: async () => {
        await settlement.stop();
        admission.close();
      },
    };
  },
}).catch(exitOnFatal("meter"));

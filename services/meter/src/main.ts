import { exitOnFatal, runStage, usageConsumer } from "@switchyard/common";
import { createAdmission } from "./admission.js";
import { startAdminServer } from "./admin/server.js";
import { loadConfig } from "./config.js";
import { startSettlement } from "./settlement.js";

runStage({
  name: "meter",
  loadConfig,
  wire: async ({ config, gateway, nats, log, side, subjects }) => {
    // It also writes the gateway file's keys to Redis and answers ingress's key lookups.
    const admission = await createAdmission({
      ...config,
      nc: nats.nc,
      subjects,
      gateway,
      log,
      registry: side.registry,
    });
    const admin = await startAdminServer({
      store: admission.store,
      directory: admission.directory,
      redis: admission.redis,
      prefix: config.redisPrefix,
      host: config.adminHost,
      port: config.adminPort,
      log,
    });
    log.info({ admin: `http://${config.adminHost}:${admin.port}/admin/v1` }, "admin API listening");
    const consumer = await usageConsumer(nats.nc, config.subjectPrefix, "meter");
    const settlement = await startSettlement({
      consumer,
      redis: admission.redis,
      prefix: config.redisPrefix,
      windowMs: gateway.limits.window_ms,
      onAlert: admission.alerts,
      log,
    });
    return {
      handler: admission.handler,
      readiness: admission.readiness,
      close: async () => {
        await admin.close();
        await settlement.stop();
        await admission.close();
      },
    };
  },
}).catch(exitOnFatal("meter"));

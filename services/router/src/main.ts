import { exitOnFatal, runStage } from "@switchyard/common";
import { loadConfig } from "./config.js";
import { createRouterWorker } from "./worker.js";

runStage({
  name: "router",
  loadConfig,
  wire: async ({ gateway, nats, log, instance, subjects, side }) => {
    const worker = await createRouterWorker({
      gateway,
      nc: nats.nc,
      subjects,
      log,
      instance,
      registry: side.registry,
    });
    return { handler: worker.handler, close: worker.close };
  },
}).catch(exitOnFatal("router"));

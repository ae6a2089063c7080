import { exitOnFatal, resolveProviderSecrets, runStage } from "@switchyard/common";
import { loadConfig } from "./config.js";
import { createProviderWorker } from "./worker.js";

runStage({
  name: "provider",
  loadConfig: (source) => {
    const loaded = loadConfig(source);
    // Missing credentials stop the start, naming the config key and the variable.
    resolveProviderSecrets(loaded.gateway, source);
    return loaded;
  },
  wire: async ({ gateway, nats, log, replies, instance, subjects, side }) => {
    const worker = await createProviderWorker({
      gateway,
      secretsFrom: process.env,
      nc: nats.nc,
      subjects,
      replies,
      log,
      instance,
      registry: side.registry,
    });
    return { handler: worker.handler, close: worker.close };
  },
}).catch(exitOnFatal("provider"));

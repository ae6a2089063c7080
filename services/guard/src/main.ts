import { exitOnFatal, runStage } from "@switchyard/common";
import { loadConfig } from "./config.js";
import { createGuardMetrics, createGuardStage, openModelLayer } from "./stage.js";

runStage({
  name: "guard",
  loadConfig,
  wire: async ({ gateway, side }) => {
    const model = await openModelLayer(gateway.guard);
    return {
      handler: createGuardStage({
        policy: gateway.guard,
        metrics: createGuardMetrics(side.registry),
        hashSalt: process.env.SWITCHYARD_GUARD_HASH_SALT,
        model,
      }),
      close: async () => {
        await model?.close();
      },
    };
  },
}).catch(exitOnFatal("guard"));

import { exitOnFatal, runStage } from "@switchyard/common";
import { loadConfig } from "./config.js";
import { createGuardMetrics, createGuardStage } from "./stage.js";

runStage({
  name: "guard",
  loadConfig,
  wire: ({ gateway, side }) =>
    Promise.resolve({
      handler: createGuardStage({ policy: gateway.guard, metrics: createGuardMetrics(side.registry) }),
    }),
}).catch(exitOnFatal("guard"));

import { exitOnFatal, runStage } from "@switchyard/common";
import { loadConfig } from "./config.js";
import { createGuardStage } from "./stage.js";

runStage({
  name: "guard",
  loadConfig,
  wire: ({ gateway }) => Promise.resolve({ handler: createGuardStage({ policy: gateway.guard }) }),
}).catch(exitOnFatal("guard"));

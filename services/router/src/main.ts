import { buildCatalog, exitOnFatal, runStage } from "@switchyard/common";
import { loadConfig } from "./config.js";
import { createRouterStage } from "./stage.js";

runStage({
  name: "router",
  loadConfig,
  wire: ({ gateway, log }) =>
    Promise.resolve({ handler: createRouterStage({ catalog: buildCatalog(gateway, log) }) }),
}).catch(exitOnFatal("router"));

import { loadEnv, loadStageConfig, stageSettings } from "@switchyard/common";

const spec = stageSettings(9101);

export const loadConfig = (source: NodeJS.ProcessEnv) => loadStageConfig((s) => loadEnv(spec, s), source);
export type GuardSettings = ReturnType<typeof loadConfig>["settings"];

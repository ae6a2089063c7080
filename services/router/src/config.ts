import { loadEnv, loadStageConfig, stageSettings } from "@switchyard/common";

const spec = stageSettings(9102);

export const loadConfig = (source: NodeJS.ProcessEnv) => loadStageConfig((s) => loadEnv(spec, s), source);
export type RouterSettings = ReturnType<typeof loadConfig>["settings"];

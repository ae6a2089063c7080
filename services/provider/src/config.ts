import { loadEnv, loadStageConfig, stageSettings } from "@switchyard/common";

const spec = stageSettings(9104);

export const loadConfig = (source: NodeJS.ProcessEnv) => loadStageConfig((s) => loadEnv(spec, s), source);
export type ProviderSettings = ReturnType<typeof loadConfig>["settings"];

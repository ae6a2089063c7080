import { baseSettings, env, loadEnv } from "@switchyard/common";
import { z } from "zod";

const spec = {
  ...baseSettings(9106),
  temporalAddress: env("SWITCHYARD_TEMPORAL_ADDRESS", z.string().default("127.0.0.1:7233")),
  temporalNamespace: env("SWITCHYARD_TEMPORAL_NAMESPACE", z.string().default("default")),
};

export const loadConfig = (source: NodeJS.ProcessEnv) => loadEnv(spec, source);

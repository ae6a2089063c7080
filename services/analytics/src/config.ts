import { baseSettings, env, loadEnv } from "@switchyard/common";
import { z } from "zod";

const spec = {
  ...baseSettings(9105),
  clickhouseUrl: env("SWITCHYARD_CLICKHOUSE_URL", z.url().default("http://127.0.0.1:8123")),
  clickhouseDatabase: env("SWITCHYARD_CLICKHOUSE_DATABASE", z.string().regex(/^\w+$/).default("switchyard")),
};

export const loadConfig = (source: NodeJS.ProcessEnv) => loadEnv(spec, source);

// Analytics: writes the usage, refusal and guard events of JetStream into ClickHouse
// (writer-service.ts, docs/analytics-writer.md) and answers tenant-scoped queries over them
// (query/, docs/analytics.md).
import { createClient } from "@clickhouse/client";
import { exitOnFatal, runService } from "@switchyard/common";
import { loadConfig } from "./config.js";
import { startQueryApi } from "./query/index.js";
import { startWriterService } from "./writer-service.js";

runService({
  name: "analytics",
  loadConfig,
  start: async (ctx) => {
    const clickhouse = createClient({ url: ctx.config.clickhouseUrl, request_timeout: 30_000 });
    const writer = startWriterService(ctx, clickhouse);
    const queries = await startQueryApi({ ...ctx, clickhouse });
    return {
      readiness: writer.readiness,
      stop: async () => {
        await queries.close();
        await writer.stop();
        await clickhouse.close();
      },
    };
  },
}).catch(exitOnFatal("analytics"));

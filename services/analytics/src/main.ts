// Analytics: owns the ClickHouse connection. This first version only checks that ClickHouse
// answers (readiness); consuming usage events into tables is the analytics issue's work.
import { createClient } from "@clickhouse/client";
import { exitOnFatal, runService } from "@switchyard/common";
import { loadConfig } from "./config.js";

runService({
  name: "analytics",
  loadConfig,
  start: ({ config, log }) => {
    const clickhouse = createClient({ url: config.clickhouseUrl, request_timeout: 5_000 });
    let reachable = false;
    const probe = async (): Promise<void> => {
      const ping = await clickhouse.ping();
      if (ping.success !== reachable)
        log.info({ reachable: ping.success }, "clickhouse reachability changed");
      reachable = ping.success;
    };
    void probe();
    const timer = setInterval(() => void probe(), 2_000);
    return Promise.resolve({
      readiness: { clickhouse: () => reachable || "unreachable" },
      stop: async () => {
        clearInterval(timer);
        await clickhouse.close();
      },
    });
  },
}).catch(exitOnFatal("analytics"));

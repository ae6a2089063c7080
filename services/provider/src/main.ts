import { exitOnFatal, resolveProviderSecrets, runStage } from "@switchyard/common";
import { providers as adapters } from "@switchyard/providers";
import { createCancellations } from "./cancellations.js";
import { loadConfig } from "./config.js";
import { createCooldowns } from "./cooldowns.js";
import { createProviderStage, type ConfiguredProvider } from "./stage.js";
import { createUpstreamPools } from "./upstream-http.js";

runStage({
  name: "provider",
  loadConfig: (source) => {
    const loaded = loadConfig(source);
    // Missing credentials stop the start, naming the config key and the variable.
    resolveProviderSecrets(loaded.gateway, source);
    return loaded;
  },
  wire: ({ gateway, nats, log, events, instance, subjects }) => {
    const secrets = resolveProviderSecrets(gateway, process.env);
    const configured = new Map<string, ConfiguredProvider>();
    const limits = new Map<string, { maxConnections: number; timeoutMs: number }>();
    for (const [id, p] of Object.entries(gateway.providers)) {
      const s = secrets.get(id);
      configured.set(id, {
        type: p.type,
        target: {
          baseUrl: p.base_url,
          apiKey: s?.apiKey ?? "",
          secretKey: s?.secretKey ?? "",
          region: p.region ?? "us-east-1",
          apiVersion: p.api_version ?? "",
        },
      });
      limits.set(id, { maxConnections: p.max_connections, timeoutMs: p.timeout_ms });
    }
    const pools = createUpstreamPools(limits);
    const cancellations = createCancellations(nats.nc, subjects);
    const handler = createProviderStage({
      nc: nats.nc,
      log,
      events,
      instance,
      adapters,
      providers: configured,
      pools,
      cancellations,
      cooldowns: createCooldowns(),
    });
    return Promise.resolve({
      handler,
      close: async () => {
        await cancellations.close();
        await pools.close();
      },
    });
  },
}).catch(exitOnFatal("provider"));

import { buildCatalog, exitOnFatal, runService } from "@switchyard/common";
import { loadConfig } from "./config.js";
import { createGateway } from "./gateway.js";
import { startGrpcDoor } from "./grpc-server.js";
import { startHttpDoor } from "./http-server.js";
import { createKeyStore } from "./keys.js";
import { createPipelineClient } from "./pipeline-client.js";
import { createStageHistogram } from "./timing.js";

runService({
  name: "ingress",
  loadConfig,
  start: async ({ config, log, nats, side, subjects, instance }) => {
    const client = createPipelineClient({
      nc: nats.nc,
      subjects,
      instanceId: `${process.pid}x${Math.random().toString(36).slice(2, 8)}`,
      maxInFlight: config.maxInFlight,
    });
    const gateway = createGateway({
      client,
      keys: createKeyStore(config.gateway.keys),
      catalog: buildCatalog(config.gateway),
      instance,
      defaultTimeoutMs: config.defaultTimeoutMs,
      maxTimeoutMs: config.maxTimeoutMs,
      onTimings: createStageHistogram(side.registry),
    });
    const http = await startHttpDoor({
      gateway,
      log,
      registry: side.registry,
      host: config.httpHost,
      port: config.httpPort,
      maxBodyBytes: config.maxBodyBytes,
    });
    const grpc = await startGrpcDoor({ gateway, log, host: config.grpcHost, port: config.grpcPort });
    log.info(
      { http: `http://${config.httpHost}:${http.port}`, grpc: `${config.grpcHost}:${grpc.port}` },
      "listening",
    );
    return {
      stop: async () => {
        await Promise.all([http.close(), grpc.close()]);
        await client.close();
      },
    };
  },
}).catch(exitOnFatal("ingress"));

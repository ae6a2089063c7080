import {
  buildCatalog,
  createEventPublisher,
  ensureStreams,
  exitOnFatal,
  runService,
} from "@switchyard/common";
import { loadConfig } from "./config.js";
import { createGateway } from "./gateway.js";
import { startGrpcDoor } from "./grpc-server.js";
import { startHttpDoor } from "./http-server.js";
import { createInlineStages } from "./inline-stages.js";
import { createKeyStore } from "./keys.js";
import { createPipelineClient, type PipelineClient } from "./pipeline-client.js";
import { createStageHistogram } from "./timing.js";

runService({
  name: "ingress",
  loadConfig,
  start: async ({ config, log, nats, side, subjects, instance }) => {
    const events = createEventPublisher(nats.nc, subjects, log);
    // Late-bound: an inline provider answers through the client created just below.
    let client: PipelineClient | undefined = undefined;
    const inline = await createInlineStages({
      ...config,
      stages: config.inlineStages,
      log,
      instance,
      nc: nats.nc,
      subjects,
      events,
      registry: side.registry,
      publish: (subject, data) => {
        if (client?.deliver(subject, data) !== true) nats.nc.publish(subject, data);
      },
    });
    if (config.inlineStages.length > 0) {
      await ensureStreams(nats.nc, config.subjectPrefix);
      log.info({ stages: config.inlineStages }, "running stages inline");
    }
    client = createPipelineClient({
      nc: nats.nc,
      subjects,
      instanceId: `${process.pid}x${Math.random().toString(36).slice(2, 8)}`,
      maxInFlight: config.maxInFlight,
      inline: inline.handlers,
      events,
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
      readiness: inline.readiness,
      stop: async () => {
        await Promise.all([http.close(), grpc.close()]);
        await client?.close();
        await inline.close();
      },
    };
  },
}).catch(exitOnFatal("ingress"));

import {
  buildCatalog,
  createPublishBatcher,
  ensureStreams,
  exitOnFatal,
  openBatchStore,
  openResponseStore,
  openChainRunStore,
  openFileStore,
  runService,
  serviceEvents,
} from "@switchyard/common";
import { createBatchService } from "./batch-service.js";
import { createBatchesApi } from "./batches-api.js";
import { createChainService } from "./chain-service.js";
import { createChainsApi } from "./chains-api.js";
import { createResponsesApi } from "./responses-api.js";
import { createFilesApi } from "./files-api.js";
import { lazyTemporalClient } from "./temporal-client.js";
import { loadConfig } from "./config.js";
import { createGateway } from "./gateway.js";
import { startGrpcDoor } from "./grpc-server.js";
import { startHttpDoor } from "./http-server.js";
import { createInlineStages } from "./inline-stages.js";
import { createKeyStore } from "./keys.js";
import { createPipelineClient, type PipelineClient } from "./pipeline-client.js";
import { createRefusals } from "./refusals.js";
import { preloadTokenizers, setsTokenLimits } from "./prompt-tokens.js";
import { createStageHistogram, lossCounter } from "./timing.js";

/**
 * JetStream reserves a bucket's whole size when the bucket is made, so a store larger than the
 * server's free file storage fails at start: the error then says which settings change it.
 */
const explainStoreSize =
  (maxBytes: number) =>
  (err: unknown): never => {
    if (!/insufficient storage/i.test((err as Error).message)) throw err;
    throw new Error(
      `the Responses store cannot reserve ${maxBytes} bytes in JetStream (${(err as Error).message}): ` +
        "lower SWITCHYARD_RESPONSES_MAX_BYTES, give NATS more file storage (max_file_store), " +
        "or set SWITCHYARD_RESPONSES_TTL_SECONDS=0 for a stateless Responses door",
      { cause: err },
    );
  };

runService({
  name: "ingress",
  loadConfig,
  start: async (ctx) => {
    const { config, log, nats, side, subjects, instance } = ctx;
    const events = serviceEvents(ctx, "ingress");
    // Late-bound: inline stages answer through the client created just below.
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
      replies: {
        reply: (env, reply) => client?.replies.reply(env, reply),
        frame: (env, frame) => client?.replies.frame(env, frame),
      },
    });
    // Usage events go to JetStream from here too (requests ended here, or answered inline).
    await ensureStreams(nats.nc, config.subjectPrefix);
    if (config.inlineStages.length > 0) log.info({ stages: config.inlineStages }, "running stages inline");
    client = createPipelineClient({
      nc: nats.nc,
      publish: createPublishBatcher(nats.nc, log),
      subjects,
      instanceId: `${process.pid}x${Math.random().toString(36).slice(2, 8)}`,
      maxInFlight: config.maxInFlight,
      inline: inline.handlers,
      events,
      connected: () => nats.connected(),
      onLoss: lossCounter(side.registry),
    });
    if (setsTokenLimits(config.gateway)) preloadTokenizers(config.gateway);
    const keys = createKeyStore({ nc: nats.nc, subjects, log, onReconnect: (fn) => nats.onReconnect(fn) });
    const gateway = createGateway({
      client,
      keys,
      catalog: buildCatalog(config.gateway),
      inlineStages: new Set(config.inlineStages),
      instance,
      defaultTimeoutMs: config.defaultTimeoutMs,
      defaultOutputTokens: config.gateway.limits.default_output_tokens,
      maxTimeoutMs: config.maxTimeoutMs,
      onTimings: createStageHistogram(side.registry),
    });
    const refusals = createRefusals({
      events,
      perSecond: config.rejectedEventsPerSec,
      registry: side.registry,
    });
    const [files, batches, runs, responseStore] = await Promise.all([
      openFileStore(nats.nc, config.subjectPrefix),
      openBatchStore(nats.nc, config.subjectPrefix),
      openChainRunStore(nats.nc, config.subjectPrefix),
      config.responsesTtlSeconds === 0
        ? undefined
        : openResponseStore(nats.nc, config.subjectPrefix, {
            ttlSeconds: config.responsesTtlSeconds,
            maxBytes: config.responsesMaxBytes,
          }).catch(explainStoreSize(config.responsesMaxBytes)),
    ]);
    const temporal = lazyTemporalClient(config.temporalAddress, config.temporalNamespace);
    const batchService = createBatchService({
      batches,
      files,
      temporal: () => temporal.get(),
      prefix: config.subjectPrefix,
      windowSeconds: config.batchWindowSeconds,
      log,
    });
    const chainService = createChainService({
      chains: config.gateway.chains,
      runs,
      temporal: () => temporal.get(),
      prefix: config.subjectPrefix,
      log,
    });
    const apis = [
      createFilesApi({ store: files, maxUploadBytes: config.maxUploadBytes, log }),
      createBatchesApi(batchService),
      createChainsApi(chainService),
      ...(responseStore === undefined ? [] : [createResponsesApi(responseStore, gateway)]),
    ];
    const http = await startHttpDoor({
      apis,
      responseStore,
      gateway,
      log,
      registry: side.registry,
      refusals,
      host: config.httpHost,
      port: config.httpPort,
      maxBodyBytes: config.maxBodyBytes,
    });
    const grpc = await startGrpcDoor({
      batches: batchService,
      chains: chainService,
      gateway,
      log,
      refusals,
      host: config.grpcHost,
      port: config.grpcPort,
      maxBodyBytes: config.maxBodyBytes,
    });
    log.info(
      { http: `http://${config.httpHost}:${http.port}`, grpc: `${config.grpcHost}:${grpc.port}` },
      "listening",
    );
    return {
      readiness: inline.readiness,
      stop: async () => {
        await Promise.all([http.close(), grpc.close()]);
        await client?.close();
        await keys.close();
        await temporal.close();
        await inline.close();
        await events.close();
      },
    };
  },
}).catch(exitOnFatal("ingress"));

// Orchestrator: the Temporal worker for batches and prompt chains. Its activities call the
// pipeline as any door does (@switchyard/ingress/pipeline-door); batch state lives in NATS KV,
// files in the JetStream object store, and the durable flow in Temporal.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Connection } from "@temporalio/client";
import { NativeConnection, Worker } from "@temporalio/worker";
import {
  SEARCH_ATTRIBUTES,
  exitOnFatal,
  openBatchStore,
  openChainRunStore,
  openFileStore,
  orchestratorTaskQueue,
  runService,
  serviceEvents,
  type Logger,
} from "@switchyard/common";
import { openPipelineDoor } from "@switchyard/ingress/pipeline-door";
import { createBatchActivities } from "./batches/activities.js";
import { createChainActivities } from "./chains/activities.js";
import { createTenantWindow } from "./batches/tenant-window.js";
import { openWorkStore } from "./batches/work-store.js";
import { loadConfig } from "./config.js";

const RETRY_MS = 2_000;
/** How often expired files (batch input, output and error files) are deleted. */
const SWEEP_FILES_EVERY_MS = 3_600_000;

/** The workflows' entry file: compiled JavaScript, or the source when run with tsx. */
function workflowsPath(): string {
  const js = fileURLToPath(new URL("./workflows/index.js", import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL("./workflows/index.ts", import.meta.url));
}

/**
 * Registers the search attributes the Temporal UI finds batches by (a cluster that has them
 * already answers AlreadyExists, which is fine).
 */
async function registerSearchAttributes(address: string, namespace: string, log: Logger): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: 5_000 });
  try {
    const KEYWORD = 2; // temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(Object.values(SEARCH_ATTRIBUTES).map((name) => [name, KEYWORD])),
    });
  } catch (err) {
    if (!/already exists/i.test((err as Error).message))
      log.warn(
        { err: (err as Error).message },
        "search attributes not registered; the Temporal UI cannot filter batches by tenant",
      );
  } finally {
    await connection.close();
  }
}

runService({
  name: "orchestrator",
  loadConfig,
  start: async (ctx) => {
    const { config, log, nats, subjects, side, instance } = ctx;
    const events = serviceEvents(ctx, "orchestrator");
    const door = openPipelineDoor({
      nc: nats.nc,
      subjects,
      log,
      events,
      registry: side.registry,
      gateway: config.gateway,
      instance,
      connected: () => nats.connected(),
      onReconnect: (fn) => nats.onReconnect(fn),
      maxInFlight: config.maxInFlight,
      defaultTimeoutMs: config.defaultTimeoutMs,
      maxTimeoutMs: config.maxTimeoutMs,
    });
    const [files, batches, work, runs] = await Promise.all([
      openFileStore(nats.nc, config.subjectPrefix),
      openBatchStore(nats.nc, config.subjectPrefix),
      openWorkStore(nats.nc, config.subjectPrefix),
      openChainRunStore(nats.nc, config.subjectPrefix),
    ]);
    const batchActivities = createBatchActivities({
      files,
      batches,
      work,
      door,
      events,
      window: createTenantWindow(config.batchTenantInFlight),
      settings: {
        linesPerPage: config.batchLinesPerPage,
        linesInFlight: config.batchLinesInFlight,
        pagesInFlight: config.batchPagesInFlight,
        pagesPerRun: config.batchPagesPerRun,
      },
      log,
    });

    let worker: Worker | undefined;
    let running: Promise<void> | undefined;
    let stopped = false;
    // Temporal may come up after us: keep trying, and report not ready meanwhile.
    const startWorker = async (): Promise<void> => {
      while (!stopped && worker === undefined) {
        try {
          await registerSearchAttributes(config.temporalAddress, config.temporalNamespace, log);
          const connection = await NativeConnection.connect({ address: config.temporalAddress });
          worker = await Worker.create({
            connection,
            namespace: config.temporalNamespace,
            taskQueue: orchestratorTaskQueue(config.subjectPrefix),
            workflowsPath: workflowsPath(),
            activities: { ...batchActivities, ...createChainActivities({ runs, door, log }) },
            maxConcurrentActivityTaskExecutions: config.maxConcurrentActivities,
          });
          running = worker.run().finally(() => connection.close());
          log.info({ taskQueue: orchestratorTaskQueue(config.subjectPrefix) }, "temporal worker running");
        } catch (err) {
          log.warn({ err: (err as Error).message }, "temporal worker not started; retrying");
          await new Promise((r) => setTimeout(r, RETRY_MS));
        }
      }
    };
    void startWorker();
    // Expired files answer 404 at once; their bytes go here (any replica may sweep).
    const sweep = setInterval(() => {
      files.sweepExpired().catch((err: unknown) => log.warn({ err }, "expired files could not be swept"));
    }, SWEEP_FILES_EVERY_MS);
    sweep.unref();

    return {
      readiness: { temporal: () => worker?.getState() === "RUNNING" || "worker not running" },
      stop: async () => {
        stopped = true;
        clearInterval(sweep);
        if (worker?.getState() === "RUNNING") worker.shutdown();
        await running;
        await door.close();
        await events.close();
      },
    };
  },
}).catch(exitOnFatal("orchestrator"));

// The guard's optional model layer: an ONNX text classifier (onnxruntime-node) loaded from a
// local file, run in a pool of worker threads so inference never blocks the stage's event loop.
// Callers ask for injection probabilities with a deadline and always get an answer: scores, or
// timeout / busy / error, for their policy to fail open or closed. docs/guard-model.md has the
// input contract, how to export a model, and what it costs.
//
// A batch that overruns its deadline answers `timeout` and its worker is terminated and a new
// one started (the session is loaded again), so a slow batch never holds up later calls. Calls
// wait in a bounded queue while every worker is busy; past the bound they answer `busy` at once.
import { access, constants } from "node:fs/promises";
import { Worker } from "node:worker_threads";
import { boundText, FEATURES_VERSION, type Segments } from "./features.js";
import type { ToPool, ToWorker, WorkerSetup } from "./protocol.js";

export { FEATURES_VERSION };

export interface ModelLayerConfig {
  /** Local path of the `.onnx` file (never downloaded). */
  path: string;
  /** Worker threads, each with its own session. Default 1. */
  threads?: number;
  /** What the model's output holds: a probability, or a logit the layer turns into one. Default "probability". */
  output?: "probability" | "logit";
  /** Feature dimension D, needed only when the model's input shape does not fix it. */
  dim?: number;
  /** Calls that may wait while every worker is busy; past it `busy`. Default 4 × threads. */
  max_queue?: number;
  /** ONNX Runtime intra-op threads per session. Default 1 (parallelism comes from `threads`). */
  intra_op_threads?: number;
}

export type ModelResult =
  /** One injection probability (0..1) per text, in order. */
  | { status: "ok"; scores: number[]; elapsedMs: number }
  /** The deadline passed first (waiting or running). */
  | { status: "timeout"; timedOut: true; elapsedMs: number }
  /** Every worker busy and the queue full: not attempted. */
  | { status: "busy" }
  /** The model failed on this batch, no worker could be started, or the layer is closed. */
  | { status: "error"; error: string };

export interface ModelLayerStats {
  threads: number;
  ready: number;
  busy: number;
  queued: number;
  /** Workers started again after a timeout or a crash. */
  restarts: number;
}

export interface ModelLayer {
  /** The feature dimension D the model takes. */
  readonly dim: number;
  /** Never throws; the deadline counts from the call, queueing included. */
  classify(texts: readonly string[], timeoutMs: number): Promise<ModelResult>;
  stats(): ModelLayerStats;
  /** Terminates the workers; calls still waiting or running answer `error`. */
  close(): Promise<void>;
}

// Running from compiled dist/ (worker.js beside this file) or from TypeScript sources under tsx
// (`--conditions=source`). On Node 20 a worker does not get tsx's loader from the process's
// execArgv, so from sources the worker is a two-line bootstrap that registers tsx in the worker
// thread and then imports worker.ts.
const FROM_SOURCE = import.meta.url.endsWith(".ts");

function newWorker(setup: WorkerSetup): Worker {
  const entry = new URL(FROM_SOURCE ? "./worker.ts" : "./worker.js", import.meta.url);
  if (!FROM_SOURCE) return new Worker(entry, { workerData: setup });
  const tsx = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: setup });
}

interface Job {
  id: number;
  texts: Segments[];
  started: number;
  resolve: (r: ModelResult) => void;
  timer: NodeJS.Timeout;
  slot?: Slot;
}

interface Slot {
  worker: Worker | undefined;
  state: "starting" | "idle" | "busy" | "down";
  job: Job | undefined;
  lastError: string | undefined;
  retryAt: number;
}

/** After a worker cannot be started, how long until a call tries again. */
const RETRY_MS = 1000;

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Starts the pool and loads the model in every worker. Rejects, naming the path, when the file
 * is missing or not a model the layer can use.
 */
export async function createModelLayer(config: ModelLayerConfig): Promise<ModelLayer> {
  const threads = config.threads ?? 1;
  const maxQueue = config.max_queue ?? 4 * threads;
  if (!Number.isInteger(threads) || threads < 1)
    throw new Error(`model layer: threads must be ≥ 1, got ${threads}`);
  if (!Number.isInteger(maxQueue) || maxQueue < 0)
    throw new Error(`model layer: max_queue must be ≥ 0, got ${maxQueue}`);
  try {
    await access(config.path, constants.R_OK);
  } catch (err) {
    throw new Error(`model layer: cannot read the model file ${config.path}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  const setup: WorkerSetup = {
    path: config.path,
    dim: config.dim,
    output: config.output ?? "probability",
    intraOpThreads: config.intra_op_threads ?? 1,
  };
  const slots: Slot[] = Array.from({ length: threads }, () => ({
    worker: undefined,
    state: "down",
    job: undefined,
    lastError: undefined,
    retryAt: 0,
  }));
  const queue: Job[] = [];
  let nextId = 1;
  let restarts = 0;
  let closed = false;
  let dim = 0;

  const finish = (job: Job, result: ModelResult) => {
    clearTimeout(job.timer);
    if (job.slot !== undefined) job.slot.job = undefined;
    job.slot = undefined;
    job.resolve(result);
  };

  /** Starts the slot's worker; resolves once it has loaded the model (or could not). */
  const start = (slot: Slot): Promise<void> =>
    new Promise((resolve) => {
      const worker = newWorker(setup);
      slot.worker = worker;
      slot.state = "starting";
      // The worker could not load the model, or crashed: a worker that had loaded it is
      // replaced at once; one that never did is tried again by a call RETRY_MS later.
      const down = (error: string) => {
        if (slot.worker !== worker) return;
        const wasReady = slot.state === "idle" || slot.state === "busy";
        slot.worker = undefined;
        slot.state = "down";
        slot.lastError = error;
        slot.retryAt = performance.now() + RETRY_MS;
        if (slot.job !== undefined) finish(slot.job, { status: "error", error });
        void worker.terminate();
        resolve();
        if (wasReady && !closed) restart(slot);
        else failQueuedIfNoWorker();
      };
      worker.on("message", (msg: ToPool) => {
        if (slot.worker !== worker) return;
        switch (msg.type) {
          case "ready":
            if (dim !== 0 && msg.dim !== dim) return down(`worker reports dim ${msg.dim}, expected ${dim}`);
            dim = msg.dim;
            slot.state = "idle";
            resolve();
            dispatch();
            return;
          case "failed":
            return down(`cannot load the ONNX model ${config.path}: ${msg.error}`);
          case "scores":
          case "error": {
            const job = slot.job;
            if (job === undefined || job.id !== msg.id) return; // a late answer to a timed-out call
            slot.state = "idle";
            finish(
              job,
              msg.type === "scores"
                ? { status: "ok", scores: Array.from(msg.scores), elapsedMs: performance.now() - job.started }
                : { status: "error", error: msg.error },
            );
            dispatch();
            return;
          }
        }
      });
      worker.on("error", (err) => down(`model worker crashed: ${errorMessage(err)}`));
      worker.on("exit", (code) => down(`model worker exited (code ${code})`));
    });

  /** A slot's worker overran a deadline or crashed: replace it. */
  const restart = (slot: Slot) => {
    const old = slot.worker;
    slot.worker = undefined;
    if (old !== undefined) void old.terminate();
    restarts++;
    void start(slot);
  };

  const dispatch = () => {
    for (const slot of slots) {
      if (slot.state !== "idle") continue;
      const job = queue.shift();
      if (job === undefined) return;
      slot.state = "busy";
      slot.job = job;
      job.slot = slot;
      const msg: ToWorker = { id: job.id, texts: job.texts };
      slot.worker?.postMessage(msg);
    }
  };

  /** With no worker running or starting, nothing would ever take the queued calls. */
  const failQueuedIfNoWorker = () => {
    if (slots.some((s) => s.state !== "down")) return;
    const error = `model layer has no worker: ${slots[0]?.lastError ?? "unknown"}`;
    for (const job of queue.splice(0)) finish(job, { status: "error", error });
  };

  await Promise.all(slots.map(start));
  const failed = slots.find((s) => s.state === "down");
  if (failed !== undefined) {
    closed = true;
    await Promise.all(slots.flatMap((s) => (s.worker === undefined ? [] : [s.worker.terminate()])));
    throw new Error(`model layer: ${failed.lastError ?? "worker did not start"}`);
  }

  return {
    get dim() {
      return dim;
    },

    classify(texts, timeoutMs) {
      if (closed) return Promise.resolve({ status: "error", error: "model layer closed" });
      if (texts.length === 0) return Promise.resolve({ status: "ok", scores: [], elapsedMs: 0 });
      if (!(timeoutMs > 0)) return Promise.resolve({ status: "timeout", timedOut: true, elapsedMs: 0 });
      const now = performance.now();
      for (const slot of slots) {
        if (slot.state === "down" && now >= slot.retryAt) {
          restarts++;
          void start(slot);
        }
      }
      if (slots.every((s) => s.state === "down"))
        return Promise.resolve({
          status: "error",
          error: `model layer has no worker: ${slots[0]?.lastError ?? "unknown"}`,
        });
      if (!slots.some((s) => s.state === "idle") && queue.length >= maxQueue)
        return Promise.resolve({ status: "busy" });
      return new Promise<ModelResult>((resolve) => {
        const job: Job = {
          id: nextId++,
          texts: texts.map((t) => {
            const segments = boundText(t);
            return segments.length === 1 ? (segments[0] ?? "") : segments;
          }),
          started: now,
          resolve,
          timer: setTimeout(() => {
            const slot = job.slot;
            if (slot === undefined) queue.splice(queue.indexOf(job), 1);
            finish(job, { status: "timeout", timedOut: true, elapsedMs: performance.now() - job.started });
            if (slot !== undefined) restart(slot);
          }, timeoutMs),
        };
        queue.push(job);
        dispatch();
      });
    },

    stats() {
      return {
        threads,
        ready: slots.filter((s) => s.state === "idle" || s.state === "busy").length,
        busy: slots.filter((s) => s.state === "busy").length,
        queued: queue.length,
        restarts,
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const job of queue.splice(0)) finish(job, { status: "error", error: "model layer closed" });
      const workers = slots.map((s) => s.worker);
      for (const slot of slots) {
        if (slot.job !== undefined) finish(slot.job, { status: "error", error: "model layer closed" });
        slot.worker = undefined;
        slot.state = "down";
      }
      await Promise.all(workers.flatMap((w) => (w === undefined ? [] : [w.terminate()])));
    },
  };
}

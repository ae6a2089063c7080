// Messages between the model layer's pool (model-layer.ts) and its worker threads (worker.ts).
import type { Segments } from "./features.js";

/** What a worker is started with (workerData). */
export interface WorkerSetup {
  path: string;
  /** The feature dimension when the model's input does not fix it. */
  dim: number | undefined;
  output: "probability" | "logit";
  intraOpThreads: number;
}

/** One batch: each text already cut to its segments (features.ts `boundText`). */
export interface ToWorker {
  id: number;
  texts: Segments[];
}

export type ToPool =
  | { type: "ready"; dim: number; input: string; output: string }
  | { type: "failed"; error: string }
  | { type: "scores"; id: number; scores: Float32Array }
  | { type: "error"; id: number; error: string };

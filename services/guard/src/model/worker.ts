// A model-layer worker thread: owns one ONNX Runtime session, loaded once from the configured
// file, and answers batches of texts with one injection probability each. Features are
// computed here (features.ts), off the caller's event loop. The pool (model-layer.ts) sends
// one batch at a time and terminates this thread when a batch overruns its deadline.
import { parentPort, workerData } from "node:worker_threads";
import ort from "onnxruntime-node";
import { featurizeBatch, type Segments } from "./features.js";
import type { ToPool, ToWorker, WorkerSetup } from "./protocol.js";

/** Rows per session run: bounds the input tensor ([ROWS, D] floats) whatever the batch size. */
const ROWS_PER_RUN = 32;

const port = parentPort;
if (port === null) throw new Error("model worker: must run as a worker thread");
const setup = workerData as WorkerSetup;
const send = (msg: ToPool, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);

interface Loaded {
  session: ort.InferenceSession;
  input: string;
  output: string;
  dim: number;
}

async function load(): Promise<Loaded> {
  const session = await ort.InferenceSession.create(setup.path, {
    intraOpNumThreads: setup.intraOpThreads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
    logSeverityLevel: 3,
  });
  const [inMeta, ...moreInputs] = session.inputMetadata;
  const outMeta = session.outputMetadata[0];
  if (inMeta === undefined || moreInputs.length > 0)
    throw new Error(`the model must have exactly one input, it has ${session.inputNames.length}`);
  if (outMeta === undefined) throw new Error("the model has no output");
  if (!inMeta.isTensor || inMeta.type !== "float32" || inMeta.shape.length !== 2)
    throw new Error(`input "${inMeta.name}" must be a float32 tensor of shape [N, D]`);
  if (outMeta.isTensor && outMeta.shape.length !== 2)
    throw new Error(`output "${outMeta.name}" must be of shape [N, 1] or [N, 2]`);
  const declared = inMeta.shape[1];
  let dim: number;
  if (typeof declared === "number" && declared > 0) {
    if (setup.dim !== undefined && setup.dim !== declared)
      throw new Error(`config dim ${setup.dim} differs from the model's input dimension ${declared}`);
    dim = declared;
  } else if (setup.dim !== undefined) {
    dim = setup.dim;
  } else {
    throw new Error(`input "${inMeta.name}" has no fixed feature dimension (${String(declared)}): set dim`);
  }
  return { session, input: inMeta.name, output: outMeta.name, dim };
}

async function classify(model: Loaded, texts: Segments[]): Promise<Float32Array> {
  const scores = new Float32Array(texts.length);
  for (let from = 0; from < texts.length; from += ROWS_PER_RUN) {
    const chunk = texts.slice(from, from + ROWS_PER_RUN);
    const input = new ort.Tensor("float32", featurizeBatch(chunk, model.dim), [chunk.length, model.dim]);
    const result = await model.session.run({ [model.input]: input });
    const out = result[model.output];
    if (out === undefined) throw new Error(`the model did not return "${model.output}"`);
    const [rows, cols] = out.dims;
    if (out.type !== "float32" || rows !== chunk.length || (cols !== 1 && cols !== 2))
      throw new Error(
        `output must be float32 [${chunk.length}, 1 or 2], got ${out.type} [${out.dims.join(", ")}]`,
      );
    const data = out.data as Float32Array;
    for (let i = 0; i < chunk.length; i++) {
      // Two columns: [other, injection].
      const v = data[i * cols + cols - 1] ?? Number.NaN;
      scores[from + i] = setup.output === "logit" ? 1 / (1 + Math.exp(-v)) : v;
    }
    input.dispose();
    out.dispose();
  }
  return scores;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

try {
  const model = await load();
  // One run before answering ready: the first run of a session allocates and is several times slower.
  await classify(model, [""]);
  port.on("message", (msg: ToWorker) => {
    classify(model, msg.texts).then(
      (scores) => send({ type: "scores", id: msg.id, scores }, [scores.buffer as ArrayBuffer]),
      (err: unknown) => send({ type: "error", id: msg.id, error: message(err) }),
    );
  });
  send({ type: "ready", dim: model.dim, input: model.input, output: model.output });
} catch (err) {
  send({ type: "failed", error: message(err) });
}

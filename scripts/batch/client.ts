// The gateway's Files and Batches APIs as the CLI calls them, over Node's fetch. Every failure is
// an ApiError: the gateway's answer (OpenAI's error message and the HTTP status) or no answer.
import type { Connection } from "./args.js";
import type { BatchObject } from "./batch-object.js";
import { CliError, EXIT } from "./cli-error.js";

/** A JSON call that gets no answer in this long has failed; file bodies are not timed. */
const CALL_TIMEOUT_MS = 30_000;

export class ApiError extends CliError {
  override name = "ApiError";
  /** `status` is undefined when the gateway did not answer at all. */
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message, EXIT.gateway);
  }

  /** Worth asking again: no answer, overloaded, or the gateway's own failure. */
  get retryable(): boolean {
    return this.status === undefined || this.status === 429 || this.status >= 500;
  }

  override toString(): string {
    if (this.status === undefined) return this.message;
    return `${this.message} (HTTP ${this.status}${this.code ? `, ${this.code}` : ""})`;
  }
}

export interface BatchApi {
  uploadFile(file: Blob, filename: string): Promise<{ id: string }>;
  createBatch(params: {
    inputFileId: string;
    endpoint: string;
    metadata: Record<string, string>;
  }): Promise<BatchObject>;
  getBatch(id: string): Promise<BatchObject>;
  listBatches(limit: number): Promise<BatchObject[]>;
  cancelBatch(id: string): Promise<BatchObject>;
  /** The file's bytes as they arrive. */
  fileContent(id: string): Promise<ReadableStream<Uint8Array>>;
}

export function createBatchApi(connection: Connection): BatchApi {
  const { url, key } = connection;

  async function call(method: string, path: string, init: RequestInit = {}, timed = true): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${url}${path}`, {
        ...init,
        method,
        headers: { authorization: `Bearer ${key}`, ...init.headers },
        ...(timed ? { signal: AbortSignal.timeout(CALL_TIMEOUT_MS) } : {}),
      });
    } catch (err) {
      throw new ApiError(`cannot reach the gateway at ${url}: ${why(err)}`);
    }
    if (!res.ok) throw await errorOf(res);
    return res;
  }

  async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit =
      body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { "content-type": "application/json" } };
    const res = await call(method, path, init);
    try {
      return (await res.json()) as T;
    } catch (err) {
      throw new ApiError(`the gateway's answer to ${method} ${path} is not JSON: ${why(err)}`, res.status);
    }
  }

  const batchPath = (id: string): string => `/batches/${encodeURIComponent(id)}`;

  return {
    async uploadFile(file, filename) {
      const form = new FormData();
      // The purpose goes first: the gateway checks it before it stores a byte of the file.
      form.append("purpose", "batch");
      form.append("file", file, filename);
      const res = await call("POST", "/files", { body: form }, false);
      return (await res.json()) as { id: string };
    },
    createBatch: (p) =>
      json("POST", "/batches", {
        input_file_id: p.inputFileId,
        endpoint: p.endpoint,
        completion_window: "24h",
        ...(Object.keys(p.metadata).length > 0 ? { metadata: p.metadata } : {}),
      }),
    getBatch: (id) => json("GET", batchPath(id)),
    listBatches: async (limit) =>
      (await json<{ data: BatchObject[] }>("GET", `/batches?limit=${limit}`)).data,
    cancelBatch: (id) => json("POST", `${batchPath(id)}/cancel`),
    async fileContent(id) {
      const res = await call("GET", `/files/${encodeURIComponent(id)}/content`, {}, false);
      if (res.body === null) throw new ApiError(`file ${id} came back without a body`, res.status);
      return res.body;
    },
  };
}

/** OpenAI's `{ error: { message, code } }`, else the body's text, else the status line. */
async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown; code?: unknown } };
    const { message, code } = body.error ?? {};
    if (typeof message === "string") {
      return new ApiError(message, res.status, typeof code === "string" ? code : undefined);
    }
  } catch {
    // not JSON: fall through to the text
  }
  return new ApiError(text.trim().slice(0, 500) || res.statusText || "no message", res.status);
}

/** fetch's "fetch failed" hides the reason (ECONNREFUSED, a bad host…) in `cause`. */
function why(err: unknown): string {
  if (err instanceof Error && err.name === "TimeoutError") return `no answer in ${CALL_TIMEOUT_MS / 1000}s`;
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause instanceof Error) return cause.message;
  return err instanceof Error ? err.message : String(err);
}

// The OpenAI Files API (/v1/files): upload (multipart/form-data, streamed into the file store as
// it arrives), list, retrieve, download and delete. Every file belongs to the key's tenant; the
// key needs the `batches` scope. Only `batch` files may be uploaded for now. See docs/files.md.
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import busboy from "busboy";
import {
  GatewayError,
  sendJson,
  type FileListOptions,
  type Logger,
  type ObjectFileStore,
  type StoredFile,
} from "@switchyard/common";
import type { HttpApi, HttpApiRequest } from "./http-api.js";

const DAY_SECONDS = 86_400;
/** OpenAI's bounds on `expires_after[seconds]` (an hour to 30 days). */
export const FILE_EXPIRY_SECONDS = { min: 3_600, max: 30 * DAY_SECONDS } as const;
/** When a `batch` file expires without `expires_after`: 30 days after its upload, as OpenAI. */
export const BATCH_FILE_EXPIRY_SECONDS = 30 * DAY_SECONDS;
const LIST_LIMIT = { min: 1, max: 10_000 } as const;

/** The form's small fields: the purpose and the expiry are all a client needs. */
const FORM_LIMITS = { files: 1, fields: 8, parts: 9, fieldSize: 1_024, fieldNameSize: 100 } as const;

export interface FilesApiDeps {
  store: ObjectFileStore;
  /** Largest file accepted (413 past it, nothing kept); the door's body limit does not apply. */
  maxUploadBytes: number;
  log: Logger;
}

/** OpenAI's FileObject. `status` and `status_details` are deprecated there but still sent. */
export function fileJson(file: StoredFile) {
  return {
    id: file.id,
    object: "file",
    bytes: file.bytes,
    created_at: file.createdAt,
    expires_at: file.expiresAt,
    filename: file.filename,
    purpose: file.purpose,
    status: "processed",
    status_details: null,
  };
}

export function createFilesApi(deps: FilesApiDeps): HttpApi {
  const { store, log } = deps;

  async function upload(call: HttpApiRequest): Promise<StoredFile> {
    const tenantId = call.key.tenantId;
    const discard = (file: StoredFile): Promise<unknown> =>
      store.delete(tenantId, file.id).catch((err: unknown) => {
        log.warn({ err, requestId: call.requestId, file: file.id }, "a refused upload could not be deleted");
      });
    const form = await receiveForm(
      call.req,
      (before, filename, body) => {
        // Fields sent before the file are checked before anything is stored; a file sent first
        // is stored as a batch file and checked (then kept, changed or deleted) once the form ends.
        const early = uploadFields(before, false);
        const expiresAt = Math.floor(Date.now() / 1000) + early.expiresAfterSeconds;
        return store.put(
          { tenantId, filename, purpose: early.purpose ?? "batch", expiresAt },
          body,
          deps.maxUploadBytes,
        );
      },
      discard,
    );
    if (form.file === undefined) {
      throw new GatewayError("invalid_argument", "the form has no `file` part; send the file as `file`", {
        field: "file",
      });
    }
    const { stored, content } = form.file;
    try {
      const fields = uploadFields(form.fields, true);
      if (!content.nonBlank) {
        throw new GatewayError("invalid_argument", `the file ${stored.filename} is empty`, { field: "file" });
      }
      if (!content.startsWithObject) {
        throw new GatewayError(
          "invalid_argument",
          `the file ${stored.filename} is not JSONL: a batch file holds one JSON object a line`,
          { field: "file" },
        );
      }
      const expiresAt = stored.createdAt + fields.expiresAfterSeconds;
      if (fields.purpose === stored.purpose && expiresAt === stored.expiresAt) return stored;
      const changed = await store.update(tenantId, stored.id, { purpose: fields.purpose, expiresAt });
      if (changed === undefined)
        throw new GatewayError("conflict", `file ${stored.id} was deleted during its upload`);
      return changed;
    } catch (err) {
      await discard(stored);
      throw err;
    }
  }

  async function list(call: HttpApiRequest): Promise<string> {
    const opts = listOptions(call.url.searchParams);
    // One more than asked: whether there is more.
    const page = await store.list(call.key.tenantId, { ...opts, limit: opts.limit + 1 });
    const data = page.slice(0, opts.limit).map(fileJson);
    sendJson(
      call.res,
      200,
      {
        object: "list",
        data,
        first_id: data[0]?.id ?? null,
        last_id: data.at(-1)?.id ?? null,
        has_more: page.length > opts.limit,
      },
      { "x-request-id": call.requestId },
    );
    return "files.list";
  }

  async function content(call: HttpApiRequest, id: string): Promise<string> {
    const file = await store.info(call.key.tenantId, id);
    const body = file === undefined ? undefined : await store.read(call.key.tenantId, id);
    if (file === undefined || body === undefined) throw noSuchFile(id);
    call.res.writeHead(200, {
      // Batch input, output and error files are JSONL.
      "content-type": file.purpose.startsWith("batch") ? "application/jsonl" : "application/octet-stream",
      "content-length": file.bytes,
      "x-request-id": call.requestId,
    });
    try {
      await pipeline(Readable.from(body), call.res);
    } catch (err) {
      // Past the status line: the client sees the body end early (pipeline destroyed it).
      const clientLeft = (err as NodeJS.ErrnoException).code === "ERR_STREAM_PREMATURE_CLOSE";
      if (!clientLeft) log.warn({ err, requestId: call.requestId, file: id }, "a file download ended early");
    }
    return "files.content";
  }

  return {
    owns: (path) => path === "/v1/files" || path.startsWith("/v1/files/"),

    async handle(call) {
      if (!call.key.scopes.includes("batches")) {
        throw new GatewayError(
          "permission_denied",
          "this key is not allowed to use batches (the Files API needs the `batches` scope)",
        );
      }
      const answer = (body: unknown): void =>
        sendJson(call.res, 200, body, { "x-request-id": call.requestId });
      // "/v1/files/<id>/content".split("/") is ["", "v1", "files", "<id>", "content"].
      const [id, sub, ...rest] = call.path.split("/").slice(3);
      if (id === undefined) {
        if (call.method === "POST") {
          answer(fileJson(await upload(call)));
          return "files.create";
        }
        if (call.method === "GET") return list(call);
        throw wrongMethod(call, ["GET", "POST"]);
      }
      if (sub === undefined) {
        if (call.method === "GET") {
          const file = await store.info(call.key.tenantId, id);
          if (file === undefined) throw noSuchFile(id);
          answer(fileJson(file));
          return "files.retrieve";
        }
        if (call.method === "DELETE") {
          if (!(await store.delete(call.key.tenantId, id))) throw noSuchFile(id);
          answer({ id, object: "file", deleted: true });
          return "files.delete";
        }
        throw wrongMethod(call, ["GET", "DELETE"]);
      }
      if (sub === "content" && rest.length === 0) {
        if (call.method === "GET") return content(call, id);
        throw wrongMethod(call, ["GET"]);
      }
      throw new GatewayError("not_found", `no route for ${call.method} ${call.url.pathname}`);
    },
  };
}

function noSuchFile(id: string): GatewayError {
  return new GatewayError("not_found", `No such File object: ${id}`, { field: "file_id" });
}

function wrongMethod(call: HttpApiRequest, allowed: string[]): GatewayError {
  return new GatewayError(
    "invalid_argument",
    `${call.url.pathname} takes ${allowed.join(" or ")}, not ${call.method}`,
    { headers: { allow: allowed.join(", ") } },
  );
}

function invalidField(field: string, message: string): GatewayError {
  return new GatewayError("invalid_argument", message, { field });
}

interface UploadFields {
  purpose: string | undefined;
  expiresAfterSeconds: number;
}

/**
 * The upload's purpose and expiry, checked. `complete` once the whole form is read: only then is
 * a missing purpose an error (it may follow the file).
 */
export function uploadFields(fields: ReadonlyMap<string, string>, complete: boolean): UploadFields {
  const purpose = fields.get("purpose");
  if (purpose === undefined && complete) {
    throw invalidField("purpose", "the form has no `purpose` field; only `batch` files can be uploaded");
  }
  if (purpose !== undefined && purpose !== "batch") {
    throw invalidField(
      "purpose",
      `purpose ${JSON.stringify(purpose)} is not supported: only \`batch\` files can be uploaded`,
    );
  }
  const anchor = fields.get("expires_after[anchor]");
  const seconds = fields.get("expires_after[seconds]");
  if (anchor !== undefined && anchor !== "created_at") {
    throw invalidField("expires_after[anchor]", "expires_after[anchor] must be `created_at`");
  }
  if (seconds === undefined) {
    if (anchor !== undefined && complete) {
      throw invalidField(
        "expires_after[seconds]",
        "expires_after[seconds] is required with expires_after[anchor]",
      );
    }
    return { purpose, expiresAfterSeconds: BATCH_FILE_EXPIRY_SECONDS };
  }
  const n = /^\d{1,9}$/.test(seconds) ? Number(seconds) : NaN;
  if (!(n >= FILE_EXPIRY_SECONDS.min && n <= FILE_EXPIRY_SECONDS.max)) {
    throw invalidField(
      "expires_after[seconds]",
      `expires_after[seconds] must be a whole number from ${FILE_EXPIRY_SECONDS.min} to ${FILE_EXPIRY_SECONDS.max}`,
    );
  }
  return { purpose, expiresAfterSeconds: n };
}

/** GET /v1/files's query, checked: 400 naming the parameter. */
export function listOptions(query: URLSearchParams): FileListOptions {
  const limitText = query.get("limit");
  const limit = limitText === null ? LIST_LIMIT.max : /^\d{1,6}$/.test(limitText) ? Number(limitText) : NaN;
  if (!(limit >= LIST_LIMIT.min && limit <= LIST_LIMIT.max)) {
    throw invalidField("limit", `limit must be a whole number from ${LIST_LIMIT.min} to ${LIST_LIMIT.max}`);
  }
  const order = query.get("order") ?? "desc";
  if (order !== "asc" && order !== "desc") throw invalidField("order", "order must be `asc` or `desc`");
  const opts: FileListOptions = { limit, order };
  const purpose = query.get("purpose");
  const after = query.get("after");
  if (purpose !== null && purpose !== "") opts.purpose = purpose;
  if (after !== null && after !== "") opts.after = after;
  return opts;
}

/** What the upload route learns of a file's bytes on their way to the store. */
interface ContentCheck {
  nonBlank: boolean;
  /** The first byte that is not white space is `{` (a JSONL file's first object). */
  startsWithObject: boolean;
}

/** The body unchanged, noting its first byte that is not white space (a glance, not a parse). */
async function* noting(body: AsyncIterable<Uint8Array>, check: ContentCheck): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    if (!check.nonBlank) {
      const i = chunk.findIndex((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
      if (i >= 0) {
        check.nonBlank = true;
        check.startsWithObject = chunk[i] === 0x7b;
      }
    }
    yield chunk;
  }
}

interface ReceivedForm {
  fields: Map<string, string>;
  file: { stored: StoredFile; content: ContentCheck } | undefined;
}

type FilePartSink = (
  fieldsBefore: ReadonlyMap<string, string>,
  filename: string,
  body: AsyncIterable<Uint8Array>,
) => Promise<StoredFile>;

/**
 * Reads a multipart form, handing its `file` part to `onFile` as it arrives, with the fields
 * read so far. On any failure the rest of the body is read and dropped (a client still sending
 * would otherwise never see the answer), and a file already stored is given to `discard`.
 */
function receiveForm(
  req: IncomingMessage,
  onFile: FilePartSink,
  discard: (file: StoredFile) => Promise<unknown>,
): Promise<ReceivedForm> {
  return new Promise((resolve, reject) => {
    let form: busboy.Busboy;
    try {
      if (!/^multipart\/form-data\s*;/i.test(req.headers["content-type"] ?? "")) {
        throw new GatewayError(
          "invalid_argument",
          "upload the file as multipart/form-data, with the fields `file` and `purpose`",
        );
      }
      form = busboy({ headers: req.headers, limits: FORM_LIMITS, defParamCharset: "utf8" });
    } catch (err) {
      req.resume();
      reject(err instanceof GatewayError ? err : malformed(err));
      return;
    }
    const fields = new Map<string, string>();
    let filePart: Readable | undefined;
    let received: Promise<ReceivedForm["file"]> | undefined;
    let settled = false;
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      req.unpipe(form);
      req.resume();
      // A store still writing sees its body fail (and cleans up); a file stored is deleted.
      filePart?.destroy();
      void received?.then((f) => f && discard(f.stored)).catch(() => undefined);
      reject(err instanceof GatewayError ? err : malformed(err));
    };
    form.on("field", (name, value, info) => {
      if (name === "file") {
        fail(invalidField("file", "the `file` part has no filename: send it as a file"));
      } else if (info.nameTruncated || info.valueTruncated) {
        fail(invalidField(name, `the form field ${name} is longer than ${FORM_LIMITS.fieldSize} bytes`));
      } else fields.set(name, value);
    });
    form.on("file", (name, part, info) => {
      if (name !== "file") {
        part.resume();
        fail(invalidField(name, `unexpected file part \`${name}\`: send the file as the field \`file\``));
        return;
      }
      filePart = part;
      const content: ContentCheck = { nonBlank: false, startsWithObject: false };
      received = Promise.resolve()
        .then(() => onFile(new Map(fields), info.filename || "file", noting(part, content)))
        .then((stored) => ({ stored, content }));
      received.catch(fail);
    });
    const tooMany = (): void =>
      fail(
        new GatewayError(
          "invalid_argument",
          "the form has too many parts: send `file`, `purpose` and optionally `expires_after`",
        ),
      );
    form.on("filesLimit", tooMany).on("fieldsLimit", tooMany).on("partsLimit", tooMany);
    form.on("error", fail);
    form.on("close", () => {
      (received ?? Promise.resolve(undefined)).then((file) => {
        if (settled) return; // fail() deletes the file
        settled = true;
        resolve({ fields, file });
      }, fail);
    });
    req.on("error", fail);
    req.on("close", () => {
      if (!req.complete) fail(new GatewayError("cancelled", "the client went away during the upload"));
    });
    req.pipe(form);
  });
}

function malformed(err: unknown): GatewayError {
  const why = err instanceof Error ? err.message : String(err);
  return new GatewayError("invalid_argument", `the multipart/form-data body is malformed: ${why}`, {
    cause: err,
  });
}

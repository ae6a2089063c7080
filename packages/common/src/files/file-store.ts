// Files of the Files API (batch input, batch output and error files), in a JetStream object
// store: durable, replicated with the NATS cluster, no extra server. Every read and change is
// scoped to a tenant: another tenant's file is indistinguishable from a missing one.
//
// One bucket per subject prefix, one object per file, named by the file's id; the owner, purpose,
// filename and times ride in the object's metadata, so info and list need no second store.
// Bodies move in the bucket's chunks (128 KiB), never whole: batch files run to 200 MB. An
// expired file reads as missing at once; sweepExpired deletes it. See docs/files.md.
import { createHash } from "node:crypto";
import { jetstreamManager, type JetStreamManager, type MsgRequest } from "@nats-io/jetstream";
import { Base64UrlPaddedCodec, Objm, type ObjectInfo } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/transport-node";
import { GatewayError } from "../errors.js";
import { bucketName, randomId } from "../object-names.js";
import { isExpired, listPage } from "./file-list.js";

/** A file as the Files API shows it (OpenAI's FileObject), plus its owner. */
export interface StoredFile {
  /** "file-" and 24 random letters and digits. */
  id: string;
  tenantId: string;
  bytes: number;
  /** Unix seconds. */
  createdAt: number;
  /** Unix seconds; null for never. */
  expiresAt: number | null;
  filename: string;
  /** "batch" for uploads; "batch_output" for the files a batch writes. */
  purpose: string;
}

export interface FileListOptions {
  purpose?: string;
  /** A file id: list the files after it in the chosen order. */
  after?: string;
  limit: number;
  order: "asc" | "desc";
}

export interface NewFile {
  tenantId: string;
  filename: string;
  purpose: string;
  /** Unix seconds; null for never. */
  expiresAt: number | null;
}

export interface FileStore {
  /**
   * Stores the body as a new file; rejects with GatewayError payload_too_large past maxBytes
   * (nothing is left behind).
   */
  put(file: NewFile, body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<StoredFile>;
  /** The file, or undefined when it does not exist, has expired, or is another tenant's. */
  info(tenantId: string, id: string): Promise<StoredFile | undefined>;
  list(tenantId: string, opts: FileListOptions): Promise<StoredFile[]>;
  /** The file's bytes, or undefined as for info. */
  read(tenantId: string, id: string): Promise<AsyncIterable<Uint8Array> | undefined>;
  /** True when a file was deleted; false as for info. */
  delete(tenantId: string, id: string): Promise<boolean>;
}

/** What may change of a stored file: its description, never its bytes. */
export interface FileChanges {
  purpose?: string;
  /** Unix seconds; null for never. */
  expiresAt?: number | null;
}

/** The FileStore openFileStore returns, with what the upload route and the upkeep need besides. */
export interface ObjectFileStore extends FileStore {
  /**
   * Changes a file's purpose or expiry, for an upload whose form fields came after its file part
   * (the bytes were stored before the fields were known). The changed file, or undefined as for
   * info.
   */
  update(tenantId: string, id: string, changes: FileChanges): Promise<StoredFile | undefined>;
  /** Deletes every expired file and resolves to how many; any replica may run it at any time. */
  sweepExpired(): Promise<number>;
}

const FILE_ID = /^file-[A-Za-z0-9]{24}$/;

/** "file-" and 24 random letters and digits. */
export const newFileId = (): string => randomId("file-");

/** The bucket of a deployment's files: one per subject prefix, so two gateways can share a NATS. */
export function filesBucketName(prefix: string): string {
  return bucketName(prefix, "files");
}

/** Opens the bucket, creating it on first use. Idempotent; at start, never per request. */
export async function openFileStore(nc: NatsConnection, prefix: string): Promise<ObjectFileStore> {
  const bucket = filesBucketName(prefix);
  const os = await guarded(() =>
    new Objm(nc).create(bucket, { description: "Files API: batch input, output and error files" }),
  );
  const jsm = await jetstreamManager(nc);
  const stream = objectStream(bucket);
  const nowSeconds = (): number => Math.floor(Date.now() / 1000);

  /** The tenant's live file and its object, or undefined. */
  async function find(
    tenantId: string,
    id: string,
  ): Promise<{ file: StoredFile; info: ObjectInfo } | undefined> {
    if (!FILE_ID.test(id)) return undefined;
    const info = await guarded(() => os.info(id));
    const file = info === null ? undefined : fromInfo(info);
    if (info === null || file === undefined) return undefined;
    if (file.tenantId !== tenantId || isExpired(file, nowSeconds())) return undefined;
    return { file, info };
  }

  /**
   * Deletes a file's object, the deletion marker the object store leaves too: a deleted file
   * leaves nothing behind for list scans to step over.
   */
  async function remove(id: string): Promise<void> {
    await os.delete(id);
    // The object store's layout (NATS ADR-20): an object's metadata is on $O.<bucket>.M.<name>.
    await jsm.streams.purge(stream, { filter: `$O.${bucket}.M.${Base64UrlPaddedCodec.encode(id)}` });
  }

  /** Every file of every tenant, expired ones too (a scan of the bucket's metadata). */
  async function all(): Promise<StoredFile[]> {
    const infos = await guarded(() => os.list());
    return infos.flatMap((info) => fromInfo(info) ?? []);
  }

  return {
    async put(file, body, maxBytes) {
      const stored: StoredFile = {
        id: newFileId(),
        tenantId: file.tenantId,
        bytes: 0,
        createdAt: nowSeconds(),
        expiresAt: file.expiresAt,
        filename: file.filename,
        purpose: file.purpose,
      };
      let bodyFailed = false;
      const source = boundedStream(body, maxBytes, () => (bodyFailed = true));
      try {
        const info = await os.put({ name: stored.id, metadata: toMetadata(stored) }, source);
        return { ...stored, bytes: info.size };
      } catch (err) {
        // The store purges the chunks of a put that failed; one that failed after its last
        // write (a lost acknowledgement) may have left the object whole: delete it too.
        await remove(stored.id).catch(() => undefined);
        throw bodyFailed ? err : unavailable(err);
      }
    },
    async info(tenantId, id) {
      return (await find(tenantId, id))?.file;
    },
    async list(tenantId, opts) {
      return listPage(await all(), tenantId, opts, nowSeconds());
    },
    async read(tenantId, id) {
      const found = await find(tenantId, id);
      return found === undefined ? undefined : chunks(jsm, stream, found.info);
    },
    async delete(tenantId, id) {
      if ((await find(tenantId, id)) === undefined) return false;
      await guarded(() => remove(id));
      return true;
    },
    async update(tenantId, id, changes) {
      const found = await find(tenantId, id);
      if (found === undefined) return undefined;
      const file: StoredFile = {
        ...found.file,
        purpose: changes.purpose ?? found.file.purpose,
        expiresAt: changes.expiresAt === undefined ? found.file.expiresAt : changes.expiresAt,
      };
      await guarded(() =>
        os.update(id, {
          description: found.info.description,
          options: found.info.options,
          metadata: toMetadata(file),
        }),
      );
      return file;
    },
    async sweepExpired() {
      const now = nowSeconds();
      const expired = (await all()).filter((f) => isExpired(f, now));
      for (const f of expired) await guarded(() => remove(f.id));
      return expired.length;
    },
  };
}

/** The stream behind an object store bucket (NATS ADR-20). */
function objectStream(bucket: string): string {
  return `OBJ_${bucket}`;
}

function toMetadata(file: StoredFile): Record<string, string> {
  return {
    tenant: file.tenantId,
    purpose: file.purpose,
    filename: file.filename,
    created_at: String(file.createdAt),
    expires_at: file.expiresAt === null ? "" : String(file.expiresAt),
  };
}

/** The file an object holds; undefined for a deleted object or one that is not a file's. */
function fromInfo(info: Pick<ObjectInfo, "name" | "size" | "deleted" | "metadata">): StoredFile | undefined {
  const meta = info.metadata ?? {};
  const createdAt = Number(meta.created_at);
  const expires = meta.expires_at ?? "";
  if (info.deleted || meta.tenant === undefined || !Number.isInteger(createdAt)) return undefined;
  return {
    id: info.name,
    tenantId: meta.tenant,
    bytes: info.size,
    createdAt,
    expiresAt: expires === "" ? null : Number(expires),
    filename: meta.filename ?? "",
    purpose: meta.purpose ?? "",
  };
}

/**
 * The body as the object store reads it: one piece per read (no read-ahead), failing with
 * payload_too_large as soon as it passes `maxBytes`. `onBodyError` hears of the body's own
 * failures, which the store passes on unchanged.
 */
function boundedStream(
  body: AsyncIterable<Uint8Array>,
  maxBytes: number,
  onBodyError: () => void,
): ReadableStream<Uint8Array> {
  const source = body[Symbol.asyncIterator]();
  let bytes = 0;
  const stop = async (): Promise<void> => {
    await source.return?.().catch(() => undefined);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let next: IteratorResult<Uint8Array>;
        try {
          next = await source.next();
        } catch (err) {
          onBodyError();
          throw err;
        }
        if (next.done === true) return controller.close();
        bytes += next.value.byteLength;
        if (bytes > maxBytes) {
          await stop();
          throw new GatewayError(
            "payload_too_large",
            `the file is larger than the limit of ${maxBytes} bytes`,
          );
        }
        controller.enqueue(next.value);
      },
      cancel: stop,
    },
    { highWaterMark: 0 },
  );
}

/**
 * A stored file's bytes, a chunk per request to the stream's leader, checked against the
 * object's size and digest at the end. Not the object store's own get: that pushes every chunk
 * at once whatever the reader's pace, so a slow download of a large file would fill memory.
 */
async function* chunks(jsm: JetStreamManager, stream: string, info: ObjectInfo): AsyncGenerator<Uint8Array> {
  // The object store's layout (NATS ADR-20): an object's chunks are on $O.<bucket>.C.<nuid>.
  const subject = `$O.${info.bucket}.C.${info.nuid}`;
  const sha = createHash("sha256");
  let seq = 0;
  let size = 0;
  for (let n = 0; n < info.chunks; n++) {
    // The server's message get takes `next_by_subj`; nats.js types only its direct-get twin,
    // which any replica answers, a lagging one too.
    const query = { seq: seq + 1, next_by_subj: subject } as unknown as MsgRequest;
    const msg = await guarded(() => jsm.streams.getMessage(stream, query));
    if (msg === null || msg.subject !== subject) {
      throw new GatewayError("not_found", `file ${info.name} was deleted while being read`);
    }
    seq = msg.seq;
    size += msg.data.length;
    sha.update(msg.data);
    yield msg.data;
  }
  const digest = `SHA-256=${sha.digest("base64").replace(/\+/g, "-").replace(/\//g, "_")}`;
  if (size !== info.size || digest !== info.digest) {
    throw new GatewayError("internal", `file ${info.name} does not match its digest; it is damaged`);
  }
}

function unavailable(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError("unavailable", "the file store (NATS JetStream) cannot answer now; retry", {
    cause: err,
  });
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw unavailable(err);
  }
}

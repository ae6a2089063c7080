// `download`: a batch's output and error files into <dir>/<batch_id>_output.jsonl and
// <batch_id>_errors.jsonl. Each is streamed to a .part file and renamed when whole, so a file
// under its final name is never a cut-off download.
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { BatchObject } from "./batch-object.js";
import { ApiError, type BatchApi } from "./client.js";
import { CliError, EXIT } from "./cli-error.js";

export interface Downloaded {
  path: string;
  lines: number;
}

export async function downloadBatch(
  api: BatchApi,
  batch: BatchObject,
  outDir: string,
): Promise<Downloaded[]> {
  const wanted = [
    ["output", batch.output_file_id],
    ["errors", batch.error_file_id],
  ] as const;
  const files = wanted.flatMap(([kind, id]) => (id ? [{ kind, id }] : []));
  if (files.length > 0) {
    await mkdir(outDir, { recursive: true }).catch((err: unknown) => {
      throw new CliError(`cannot create ${outDir}: ${(err as Error).message}`, EXIT.cantCreate, {
        cause: err,
      });
    });
  }
  const done: Downloaded[] = [];
  for (const { kind, id } of files) {
    const path = join(outDir, `${batch.id}_${kind}.jsonl`);
    done.push({ path, lines: await save(api, id, path) });
  }
  return done;
}

/** Streams file `id` into `path`; returns its line count (a last line without \n counts). */
async function save(api: BatchApi, id: string, path: string): Promise<number> {
  const body = await api.fileContent(id);
  const part = `${path}.part`;
  let newlines = 0;
  let last: number | undefined;
  async function* counted(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) newlines++;
      if (chunk.length > 0) last = chunk[chunk.length - 1];
      yield chunk;
    }
  }
  try {
    await pipeline(Readable.fromWeb(body), counted, createWriteStream(part));
    await rename(part, path);
  } catch (err) {
    await rm(part, { force: true });
    // A file system error names its syscall (open, write, rename); anything else is the download.
    if ((err as NodeJS.ErrnoException).syscall !== undefined) {
      throw new CliError(`cannot write ${path}: ${(err as Error).message}`, EXIT.cantCreate, { cause: err });
    }
    throw new ApiError(`the download of ${id} broke off: ${(err as Error).message}`);
  }
  return newlines + (last !== undefined && last !== 0x0a ? 1 : 0);
}

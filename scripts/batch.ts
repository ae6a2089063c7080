// `npm run batch -- submit|status|wait|download|cancel|list`: the gateway's Batches API from a
// shell. stdout carries results (a batch id, a report, file paths); stderr carries progress and
// errors. Exit statuses are in batch/cli-error.ts; the pieces are in batch/. See docs/batches.md.
import { openAsBlob } from "node:fs";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { USAGE, UsageError, parseCommandLine, type Command } from "./batch/args.js";
import type { BatchObject } from "./batch/batch-object.js";
import { CliError, EXIT } from "./batch/cli-error.js";
import { createBatchApi, type BatchApi } from "./batch/client.js";
import { downloadBatch } from "./batch/download.js";
import { listLines, statusChangeLine, statusReport } from "./batch/render.js";
import { waitForBatch } from "./batch/wait.js";

const out = (text: string): void => void process.stdout.write(`${text}\n`);
const note = (text: string): void => void process.stderr.write(`${text}\n`);

/** The batch's input file, backed by the disk (not read into memory); EX_NOINPUT if not there. */
async function openInput(path: string): Promise<Blob> {
  try {
    if (!(await stat(path)).isFile()) throw new Error("not a file");
    return await openAsBlob(path);
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`, EXIT.noInput, { cause: err });
  }
}

/** A finished wait's report, and whether the batch did what was asked. */
function outcome(batch: BatchObject): number {
  out(statusReport(batch));
  return batch.status === "completed" ? EXIT.ok : EXIT.notCompleted;
}

async function run(api: BatchApi, command: Command): Promise<number> {
  switch (command.name) {
    case "submit": {
      const file = await openInput(command.file);
      const uploaded = await api.uploadFile(file, basename(command.file));
      note(`uploaded ${command.file} (${file.size} bytes) as ${uploaded.id}`);
      const { endpoint, metadata } = command;
      const batch = await api.createBatch({ inputFileId: uploaded.id, endpoint, metadata });
      out(batch.id);
      return command.wait ? outcome(await waitForBatch(api, batch.id, command.intervalMs)) : EXIT.ok;
    }
    case "status": {
      const batch = await api.getBatch(command.batchId);
      out(command.json ? JSON.stringify(batch, null, 2) : statusReport(batch));
      return EXIT.ok;
    }
    case "wait":
      return outcome(await waitForBatch(api, command.batchId, command.intervalMs));
    case "download": {
      const batch = await api.getBatch(command.batchId);
      const files = await downloadBatch(api, batch, command.outDir);
      if (files.length === 0) {
        note(`${batch.id} has no output or error file yet (status ${batch.status})`);
        return EXIT.notCompleted;
      }
      for (const f of files) out(`${f.path}  ${f.lines} ${f.lines === 1 ? "line" : "lines"}`);
      return EXIT.ok;
    }
    case "cancel":
      out(statusChangeLine(await api.cancelBatch(command.batchId)));
      return EXIT.ok;
    case "list": {
      const batches = await api.listBatches(command.limit);
      if (command.json) out(JSON.stringify(batches, null, 2));
      else if (batches.length === 0) note("no batches");
      else listLines(batches).forEach(out);
      return EXIT.ok;
    }
  }
}

async function main(): Promise<number> {
  const invocation = parseCommandLine(process.argv.slice(2), process.env);
  if (invocation.help) {
    out(USAGE);
    return EXIT.ok;
  }
  return run(createBatchApi(invocation.connection), invocation.command);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) note(`batch: ${err.message}\n\n${USAGE}`);
    else if (err instanceof CliError) note(`batch: ${String(err)}`);
    else note(`batch: ${(err as Error).stack ?? String(err)}`);
    process.exitCode = err instanceof CliError ? err.exitCode : EXIT.bug;
  },
);

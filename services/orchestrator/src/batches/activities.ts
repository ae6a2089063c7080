// The activities of a batch's workflow: prepare (validate the input file and split it into
// pages), run a page (its lines through the pipeline, a few at a time, each result stored as it
// ends), and finish (write the output and error files and the batch's final state). Each may
// run again after a crash; each is written so that running again changes nothing already done.
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { Context } from "@temporalio/activity";
import { ApplicationFailure } from "@temporalio/common";
import {
  GatewayError,
  NO_USAGE,
  addUsage,
  isFinal,
  type BatchProblem,
  type BatchRecord,
  type BatchStore,
  type EventPublisher,
  type FileStore,
  type Logger,
  type PageProgress,
} from "@switchyard/common";
import type { PipelineDoor } from "@switchyard/ingress/pipeline-door";
import { MAX_BATCH_LINES, MAX_PROBLEMS, checkLine, type BatchLine } from "./input-lines.js";
import { runLine } from "./line-runner.js";
import { notRunLine, resultLine, succeeded, type LineResult } from "./output-lines.js";
import type { TenantWindow } from "./tenant-window.js";
import type { WorkStore } from "./work-store.js";

export interface BatchSettings {
  linesPerPage: number;
  /** Lines of one page in flight at once. */
  linesInFlight: number;
  /** Pages of one batch in flight at once. */
  pagesInFlight: number;
  /** Pages a workflow run starts before it continues as new (bounds its history). */
  pagesPerRun: number;
}

export interface BatchRef {
  batchId: string;
  tenantId: string;
}

export interface Prepared {
  /** 0 when the batch failed validation or was cancelled before it started. */
  pages: number;
  /** It failed validation: there is nothing to finish. */
  failed: boolean;
  pagesInFlight: number;
  pagesPerRun: number;
}

export type Ending = "completed" | "cancelled" | "expired";

const PROGRESS_EVERY_MS = 500;
const OUTPUT_FILE_TTL_S = 30 * 24 * 3600;

const nowS = (): number => Math.floor(Date.now() / 1000);

export function createBatchActivities(deps: {
  files: FileStore;
  batches: BatchStore;
  work: WorkStore;
  door: PipelineDoor;
  events: EventPublisher;
  window: TenantWindow;
  settings: BatchSettings;
  log: Logger;
}) {
  const { files, batches, work, settings } = deps;

  async function record(ref: BatchRef): Promise<BatchRecord> {
    const r = await batches.get(ref.tenantId, ref.batchId);
    if (r === undefined) throw ApplicationFailure.nonRetryable(`batch ${ref.batchId} does not exist`);
    return r;
  }

  async function fail(ref: BatchRef, errors: BatchProblem[], lines: number): Promise<Prepared> {
    await batches.update(ref.tenantId, ref.batchId, (r) => ({
      ...r,
      status: "failed",
      failedAt: nowS(),
      errors,
      counts: { total: lines, completed: 0, failed: 0 },
    }));
    return {
      pages: 0,
      failed: true,
      pagesInFlight: settings.pagesInFlight,
      pagesPerRun: settings.pagesPerRun,
    };
  }

  return {
    async prepareBatch(ref: BatchRef): Promise<Prepared> {
      const ctx = Context.current();
      const batch = await record(ref);
      const plan = { pagesInFlight: settings.pagesInFlight, pagesPerRun: settings.pagesPerRun };
      // Prepared before (this activity ran again after the record was written), or failed.
      if (batch.status === "failed") return { ...plan, pages: 0, failed: true };
      if (batch.status !== "validating") return { ...plan, pages: batch.pages ?? 0, failed: false };
      const content = await files.read(ref.tenantId, batch.inputFileId);
      if (content === undefined) {
        const message = `the input file ${batch.inputFileId} no longer exists`;
        return fail(ref, [{ code: "invalid_file", message, param: "input_file_id", line: null }], 0);
      }
      const problems: BatchProblem[] = [];
      const seen = new Set<string>();
      const models = new Set<string>();
      let page: BatchLine[] = [];
      let pages = 0;
      let lineNo = 0;
      let count = 0;
      const lines = createInterface({ input: Readable.from(content), crlfDelay: Infinity });
      for await (const text of lines) {
        lineNo++;
        if (text.trim() === "") continue;
        count++;
        if (count > MAX_BATCH_LINES) {
          const message = `a batch holds at most ${MAX_BATCH_LINES} requests`;
          problems.push({ code: "too_many_requests", message, param: null, line: lineNo });
          break;
        }
        const check = checkLine(text, lineNo, batch.endpoint, seen);
        if ("problem" in check) {
          if (problems.length < MAX_PROBLEMS) problems.push(check.problem);
          continue;
        }
        models.add(check.model);
        if (problems.length > 0) continue;
        page.push(check.ok);
        if (page.length === settings.linesPerPage) {
          await work.putPage(ref.batchId, pages++, page);
          page = [];
          ctx.heartbeat(lineNo);
        }
      }
      if (count === 0)
        problems.push({
          code: "empty_file",
          message: "the input file has no requests",
          param: null,
          line: null,
        });
      if (problems.length > 0) {
        await work.drop(ref.batchId, pages);
        return fail(ref, problems, count);
      }
      if (page.length > 0) await work.putPage(ref.batchId, pages++, page);
      await batches.update(ref.tenantId, ref.batchId, (r) => ({
        ...r,
        // A cancel asked for meanwhile stands.
        status: r.status === "validating" ? "in_progress" : r.status,
        inProgressAt: nowS(),
        counts: { total: count, completed: 0, failed: 0 },
        model: models.size === 1 ? [...models][0] : undefined,
        pages,
      }));
      return { ...plan, pages, failed: false };
    },

    async runPage(ref: BatchRef & { page: number }): Promise<PageProgress> {
      const ctx = Context.current();
      const batch = await record(ref);
      const lines = await work.page(ref.batchId, ref.page);
      // What an earlier attempt of this page finished (results stored), and the refusals its
      // lines waited through (its last heartbeat).
      const done = new Map<number, LineResult>();
      if (ctx.info.attempt > 1)
        for await (const r of work.results(ref.batchId, ref.page)) done.set(r.line, r);
      const waits = new Map<number, number>(
        Object.entries(
          (ctx.info.heartbeatDetails as { waits?: Record<string, number> } | undefined)?.waits ?? {},
        ).map(([k, v]) => [Number(k), v]),
      );
      const progress: PageProgress = { completed: 0, failed: 0, usage: NO_USAGE };
      const count = (r: LineResult): void => {
        if (succeeded(r)) progress.completed++;
        else progress.failed++;
        progress.usage = addUsage(progress.usage, r.usage);
      };
      for (const r of done.values()) count(r);
      let lastWritten = 0;
      const report = async (force: boolean): Promise<void> => {
        ctx.heartbeat({ waits: Object.fromEntries(waits) });
        if (!force && Date.now() - lastWritten < PROGRESS_EVERY_MS) return;
        lastWritten = Date.now();
        await batches.putProgress(ref.batchId, ref.page, progress);
      };
      // Heartbeats carry the cancel to this activity even while every line waits on upstreams.
      const beat = setInterval(() => void report(false).catch(() => undefined), 1_000);
      try {
        const key = await deps.door.keys.byId(batch.keyId).catch((err: unknown) => err as Error);
        const todo = lines.filter((l) => !done.has(l.line));
        let next = 0;
        const worker = async (): Promise<void> => {
          while (next < todo.length && !ctx.cancellationSignal.aborted) {
            const line = todo[next++]!;
            const release = await deps.window.enter(ref.tenantId, ctx.cancellationSignal);
            try {
              const result =
                key instanceof Error
                  ? keyRefused(line, key)
                  : await runLine(line, {
                      gateway: deps.door.gateway,
                      key,
                      batchId: ref.batchId,
                      endpoint: batch.endpoint,
                      signal: ctx.cancellationSignal,
                      waits: waits.get(line.line) ?? 0,
                      onWait: (n) => waits.set(line.line, n),
                    });
              // The usage event first: a line recorded as done has been billed.
              await deps.events.settled();
              await work.putResult(ref.batchId, ref.page, result);
              count(result);
              await report(false);
            } finally {
              release();
            }
          }
        };
        await Promise.all(
          Array.from({ length: Math.min(settings.linesInFlight, todo.length) }, worker),
        ).catch((err: unknown) => {
          if (!ctx.cancellationSignal.aborted) throw err;
        });
        await report(true);
        // Cancelled: the lines cut off have no result; the workflow finishes the batch.
        if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason as Error;
        return progress;
      } finally {
        clearInterval(beat);
      }

      /** The key was revoked (or deleted) since the batch was created: its lines are refused. */
      function keyRefused(line: BatchLine, err: Error): LineResult {
        const e = GatewayError.from(err);
        const at = { line: line.line, customId: line.customId, requestId: "" };
        return { ...at, statusCode: e.httpStatus, body: e.toOpenAI(), usage: NO_USAGE };
      }
    },

    async finishBatch(ref: BatchRef & { pages: number; ending: Ending }): Promise<void> {
      const batch = await record(ref);
      if (isFinal(batch.status)) return;
      if (ref.ending === "completed")
        await batches.update(ref.tenantId, ref.batchId, (r) => ({
          ...r,
          status: "finalizing",
          finalizingAt: nowS(),
        }));
      const ctx = Context.current();
      const counts = { total: batch.counts.total, completed: 0, failed: 0 };
      let usage = NO_USAGE;
      const lineIds = async function* (): AsyncGenerator<BatchLine> {
        for (let p = 0; p < ref.pages; p++) yield* await work.page(ref.batchId, p);
      };
      // Pass 1: the output file (lines that succeeded), counting as it goes.
      const ok = async function* (): AsyncGenerator<Uint8Array> {
        const seen = new Set<number>();
        for await (const r of work.results(ref.batchId)) {
          if (seen.has(r.line)) continue;
          seen.add(r.line);
          usage = addUsage(usage, r.usage);
          if (!succeeded(r)) continue;
          counts.completed++;
          if (counts.completed % 1000 === 0) ctx.heartbeat();
          yield Buffer.from(resultLine(ref.batchId, r) + "\n");
        }
      };
      // Pass 2: the error file (lines that failed, and on expiry the lines never run).
      const failed = async function* (): AsyncGenerator<Uint8Array> {
        const seen = new Set<number>();
        for await (const r of work.results(ref.batchId)) {
          if (seen.has(r.line)) continue;
          seen.add(r.line);
          if (succeeded(r)) continue;
          counts.failed++;
          yield Buffer.from(resultLine(ref.batchId, r) + "\n");
        }
        if (ref.ending !== "expired") return;
        for await (const l of lineIds()) {
          if (seen.has(l.line)) continue;
          counts.failed++;
          yield Buffer.from(notRunLine(ref.batchId, l.line, l.customId, "batch_expired") + "\n");
        }
      };
      const file = (kind: string) => ({
        tenantId: ref.tenantId,
        filename: `${ref.batchId}_${kind}.jsonl`,
        purpose: "batch_output",
        expiresAt: nowS() + OUTPUT_FILE_TTL_S,
      });
      const output = await files.put(file("output"), ok(), Number.MAX_SAFE_INTEGER);
      const errors = await files.put(file("error"), failed(), Number.MAX_SAFE_INTEGER);
      // An empty file is not worth an id (OpenAI leaves the field null).
      if (output.bytes === 0) await files.delete(ref.tenantId, output.id);
      if (errors.bytes === 0) await files.delete(ref.tenantId, errors.id);
      const at = nowS();
      await batches.update(ref.tenantId, ref.batchId, (r) => ({
        ...r,
        status: ref.ending,
        ...(ref.ending === "completed" ? { completedAt: at } : {}),
        ...(ref.ending === "cancelled" ? { cancelledAt: at } : {}),
        ...(ref.ending === "expired" ? { expiredAt: at } : {}),
        outputFileId: output.bytes > 0 ? output.id : undefined,
        errorFileId: errors.bytes > 0 ? errors.id : undefined,
        counts,
        usage,
      }));
      await batches.dropProgress(ref.batchId);
      await work.drop(ref.batchId, ref.pages);
    },
  };
}

export type BatchActivities = ReturnType<typeof createBatchActivities>;

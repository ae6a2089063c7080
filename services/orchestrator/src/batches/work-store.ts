// A running batch's working state in JetStream: its input split into pages (objects in the
// `<prefix>_batch_work` object store, so a page activity reads only its lines), and each line's
// result as it ends (a message on `<prefix>.v1.batch.results.<batch>.<page>`, de-duplicated by
// `<batch>:<line>`), read back by a page run again after a crash and by the batch's end. Both go
// when the batch ends: what stays is its output and error files.
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { Objm, type ObjectStore } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/transport-node";
import { bucketName, keyToken } from "@switchyard/common";
import type { BatchLine } from "./input-lines.js";
import type { LineResult } from "./output-lines.js";

export interface WorkStore {
  putPage(batchId: string, page: number, lines: readonly BatchLine[]): Promise<void>;
  page(batchId: string, page: number): Promise<BatchLine[]>;
  /** Resolves once JetStream stored the result. */
  putResult(batchId: string, page: number, result: LineResult): Promise<void>;
  /** The results stored for one page of the batch, or (page undefined) for all its pages. */
  results(batchId: string, page?: number): AsyncGenerator<LineResult>;
  drop(batchId: string, pages: number): Promise<void>;
}

const WEEK_NS = 7 * 24 * 3600 * 1_000_000_000;

export async function openWorkStore(nc: NatsConnection, prefix: string): Promise<WorkStore> {
  const objects: ObjectStore = await new Objm(nc).create(bucketName(prefix, "batch_work"));
  const jsm: JetStreamManager = await jetstreamManager(nc);
  const js: JetStreamClient = jetstream(nc);
  const stream = bucketName(prefix, "BATCH_RESULTS").toUpperCase();
  const base = `${prefix}.v1.batch.results`;
  const config = {
    name: stream,
    subjects: [`${base}.>`],
    duplicate_window: 2 * 60 * 1_000_000_000,
    // A batch runs at most a day (its completion window); results of one whose end never came
    // (its workflow terminated by hand) go after a week.
    max_age: WEEK_NS,
  };
  try {
    await jsm.streams.info(stream);
    await jsm.streams.update(stream, config);
  } catch {
    await jsm.streams.add(config);
  }
  const pageName = (batchId: string, page: number): string => `${batchId}.${page}`;
  const subject = (batchId: string, page?: number): string =>
    `${base}.${keyToken(batchId)}.${page === undefined ? "*" : page}`;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  return {
    async putPage(batchId, page, lines) {
      await objects.putBlob({ name: pageName(batchId, page) }, encoder.encode(JSON.stringify(lines)));
    },
    async page(batchId, page) {
      const data = await objects.getBlob(pageName(batchId, page));
      if (data === null) throw new Error(`page ${page} of batch ${batchId} is missing from the work store`);
      return JSON.parse(decoder.decode(data)) as BatchLine[];
    },
    async putResult(batchId, page, result) {
      await js.publish(subject(batchId, page), encoder.encode(JSON.stringify(result)), {
        msgID: `${batchId}:${result.line}`,
      });
    },
    async *results(batchId, page) {
      const filter = subject(batchId, page);
      const info = await jsm.streams.info(stream, { subjects_filter: filter });
      let left = Object.values(info.state.subjects ?? {}).reduce((n, c) => n + c, 0);
      if (left === 0) return;
      const consumer = await js.consumers.get(stream, { filter_subjects: [filter] });
      while (left > 0) {
        const batch = await consumer.fetch({ max_messages: Math.min(left, 1000), expires: 5_000 });
        let got = 0;
        for await (const m of batch) {
          got++;
          left--;
          yield JSON.parse(decoder.decode(m.data)) as LineResult;
        }
        if (got === 0) throw new Error(`results of batch ${batchId} stopped arriving with ${left} left`);
      }
      await consumer.delete().catch(() => undefined);
    },
    async drop(batchId, pages) {
      await jsm.streams.purge(stream, { filter: subject(batchId) });
      for (let p = 0; p < pages; p++) await objects.delete(pageName(batchId, p)).catch(() => undefined);
    },
  };
}

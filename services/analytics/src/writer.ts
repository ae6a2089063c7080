// The analytics writer: pulls event batches from the `analytics` consumer, gathers their rows
// into batches by size and time, writes each batch to ClickHouse once (rows ClickHouse already
// holds are skipped: existing-rows.ts; a batch is looked up while the one before it is inserted,
// and also skips what that one inserted), and acknowledges the messages only after ClickHouse has
// accepted every insert. When ClickHouse fails, the batch is retried with growing pauses while
// its messages are kept alive (`working()`); the consumer stops pulling once two batches wait,
// so nothing is lost and nothing is read ahead without bound. Undecodable messages are
// terminated and counted.
import { fromBinary } from "@bufbuild/protobuf";
import { jetstream, type ConsumerMessages, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { ClickHouseClient } from "@clickhouse/client";
import { eventsStreamName, type Logger } from "@switchyard/common";
import { GuardVerdictBatchSchema, UsageEventBatchSchema } from "@switchyard/proto";
import { ANALYTICS_CONSUMER, eventSubjects } from "./consumer.js";
import { findExisting, rowKey, type RowKey } from "./existing-rows.js";
import type { WriterMetrics } from "./metrics.js";
import { guardVerdictRow, requestRow, type GuardVerdictRow, type RequestRow } from "./rows.js";

export interface WriterOptions {
  nc: NatsConnection;
  prefix: string;
  clickhouse: ClickHouseClient;
  /** Database holding `requests` and `guard_verdicts` (already migrated). */
  database: string;
  log: Logger;
  metrics: WriterMetrics;
  /** A batch is written once it holds this many rows... */
  batchRows: number;
  /** ...or this long after its first message arrived. */
  lingerMs: number;
  /** JetStream messages the consumer may hold before the writer takes them. */
  pullMessages?: number;
  /** The consumer's ack wait: messages held longer are kept alive with `working()`. */
  ackWaitMs: number;
  /** Longest pause between attempts to write a batch ClickHouse refused. */
  maxBackoffMs?: number;
}

export interface Writer {
  /** True while ClickHouse takes the writes; otherwise why not. */
  status(): true | string;
  /** Stops pulling, writes what was pulled (or hands it back unacknowledged), and returns. */
  stop(): Promise<void>;
}

/** Row keys by table: what ClickHouse held, or what a batch inserted. */
interface Keys {
  requests: Set<string>;
  verdicts: Set<string>;
}

interface Batch {
  messages: JsMsg[];
  requests: RequestRow[];
  verdicts: GuardVerdictRow[];
  since: number;
  /**
   * The rows ClickHouse already held, looked up as soon as the batch was queued — while the
   * batches before it were still being written (`before`), whose rows the lookup may not have
   * seen. Used on the first attempt only; undefined when that lookup failed.
   */
  early?: Promise<Keys | undefined>;
  before: Batch[];
  /** What this batch has inserted, every attempt counted. */
  inserted: Keys;
  /**
   * It took more than one attempt: a failed insert may still have landed, unseen by `inserted`,
   * so the batches after it look up again rather than trust their early lookup.
   */
  retried: boolean;
}

const noKeys = (): Keys => ({ requests: new Set(), verdicts: new Set() });
const emptyBatch = (): Batch => ({
  messages: [],
  requests: [],
  verdicts: [],
  since: Date.now(),
  before: [],
  inserted: noKeys(),
  retried: false,
});

/** Pause before retry `attempt` (from 0): 250 ms doubling, at most `max`. */
export function backoffMs(attempt: number, max: number): number {
  return Math.min(250 * 2 ** Math.min(attempt, 16), max);
}

/** Rows of `rows` whose key is new to the batch, and how many repeated an earlier one. */
export function uniqueRows<T extends RowKey>(rows: readonly T[]): { rows: T[]; repeated: number } {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const r of rows) {
    const k = rowKey(r);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(r);
  }
  return { rows: out, repeated: rows.length - out.length };
}

export function startWriter(o: WriterOptions): Writer {
  const subjects = eventSubjects(o.prefix);
  const requestsTable = `${o.database}.requests`;
  const verdictsTable = `${o.database}.guard_verdicts`;
  const maxBackoffMs = o.maxBackoffMs ?? 10_000;
  let stopping = false;
  let status: true | string = true;
  let current = emptyBatch();
  let rows = 0;
  let chain: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let messages: ConsumerMessages | undefined;
  const held = new Set<Batch>();
  const wake = new Set<() => void>();

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        wake.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      wake.add(done);
    });

  // Messages of batches waiting for ClickHouse stay ours: tell JetStream before ack_wait ends.
  const keepAlive = setInterval(() => {
    const now = Date.now();
    for (const b of held) if (now - b.since > o.ackWaitMs / 3) for (const m of b.messages) m.working();
  }, o.ackWaitMs / 3);

  function add(m: JsMsg): void {
    const fallbackMs = Number(m.timestampNanos / 1_000_000n);
    const insertedAt = Math.floor(Date.now() / 1000);
    try {
      if (m.subject === subjects.guard) {
        const batch = fromBinary(GuardVerdictBatchSchema, m.data);
        for (const v of batch.verdicts) current.verdicts.push(guardVerdictRow(v, fallbackMs, insertedAt));
        rows += batch.verdicts.length;
      } else if (m.subject === subjects.usage || m.subject === subjects.rejected) {
        const batch = fromBinary(UsageEventBatchSchema, m.data);
        for (const e of batch.events) current.requests.push(requestRow(e, fallbackMs, insertedAt));
        rows += batch.events.length;
      } else throw new Error(`unexpected subject ${m.subject}`);
    } catch (err) {
      o.metrics.invalid.inc();
      o.log.error({ err, subject: m.subject, seq: m.seq }, "undecodable event message terminated");
      m.term();
      return;
    }
    if (current.messages.length === 0) current.since = Date.now();
    current.messages.push(m);
  }

  async function lookUp(batch: Batch): Promise<Keys> {
    const [requests, verdicts] = await Promise.all([
      findExisting(o.clickhouse, requestsTable, uniqueRows(batch.requests).rows, false),
      findExisting(o.clickhouse, verdictsTable, uniqueRows(batch.verdicts).rows, true),
    ]);
    return { requests, verdicts };
  }

  async function write(batch: Batch, attempt: number): Promise<void> {
    const t0 = performance.now();
    const requests = uniqueRows(batch.requests);
    const verdicts = uniqueRows(batch.verdicts);
    // The early lookup could not see what the batches written meanwhile inserted: those rows
    // are known here, in memory. A retry looks again (its own earlier attempt may have written).
    const early = attempt === 0 && !batch.before.some((b) => b.retried) ? await batch.early : undefined;
    const stored = early ?? (await lookUp(batch));
    const fresh = (table: keyof Keys, k: string): boolean =>
      !stored[table].has(k) && !batch.before.some((b) => b.inserted[table].has(k));
    const newRequests = requests.rows.filter((r) => fresh("requests", rowKey(r)));
    const newVerdicts = verdicts.rows.filter((r) => fresh("verdicts", rowKey(r)));
    // Sequential: a retry after the second failed finds the first's rows and skips them.
    if (newRequests.length > 0) {
      await o.clickhouse.insert({ table: requestsTable, values: newRequests, format: "JSONEachRow" });
      for (const r of newRequests) batch.inserted.requests.add(rowKey(r));
    }
    if (newVerdicts.length > 0) {
      await o.clickhouse.insert({ table: verdictsTable, values: newVerdicts, format: "JSONEachRow" });
      for (const r of newVerdicts) batch.inserted.verdicts.add(rowKey(r));
    }
    o.metrics.insertSeconds.observe((performance.now() - t0) / 1000);
    o.metrics.batchRows.observe(batch.requests.length + batch.verdicts.length);
    o.metrics.rows.inc({ table: "requests" }, newRequests.length);
    o.metrics.rows.inc({ table: "guard_verdicts" }, newVerdicts.length);
    o.metrics.duplicates.inc({ table: "requests" }, batch.requests.length - newRequests.length);
    o.metrics.duplicates.inc({ table: "guard_verdicts" }, batch.verdicts.length - newVerdicts.length);
  }

  async function writeUntilDone(batch: Batch): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        if (attempt > 0) batch.retried = true;
        await write(batch, attempt);
        for (const m of batch.messages) m.ack();
        o.metrics.batches.inc({ outcome: "written" });
        o.metrics.clickhouseUp.set(1);
        if (status !== true) o.log.info("clickhouse takes writes again");
        status = true;
        return;
      } catch (err) {
        o.metrics.batches.inc({ outcome: "failed" });
        o.metrics.clickhouseUp.set(0);
        status = `clickhouse refused a write: ${(err as Error).message}`;
        if (stopping) {
          // Hand the messages back at once, for another replica (or this one, restarted).
          for (const m of batch.messages) m.nak();
          o.log.warn({ err, messages: batch.messages.length }, "batch not written before stop: handed back");
          return;
        }
        const pause = backoffMs(attempt, maxBackoffMs);
        o.log.warn(
          { err, attempt, pauseMs: pause, messages: batch.messages.length },
          "batch not written; retrying",
        );
        await sleep(pause);
      }
    }
  }

  /** Queues the current batch for writing; resolves once the batch queued before it is written. */
  function flush(): Promise<void> {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (current.messages.length === 0) return chain;
    const batch = current;
    current = emptyBatch();
    rows = 0;
    // Looked up now, beside the writes of the batches before it (checked against theirs later).
    batch.before = [...held];
    batch.early = lookUp(batch).catch(() => undefined);
    held.add(batch);
    const previous = chain;
    chain = previous
      .then(() => writeUntilDone(batch))
      .finally(() => {
        held.delete(batch);
        batch.before = []; // the batches before it may go now
        batch.early = undefined;
      });
    return previous;
  }

  async function consumeLoop(): Promise<void> {
    const stream = eventsStreamName(o.prefix);
    for (let attempt = 0; !stopping; attempt++) {
      try {
        const consumer = await jetstream(o.nc).consumers.get(stream, ANALYTICS_CONSUMER);
        messages = await consumer.consume({ max_messages: o.pullMessages ?? 64, expires: 5_000 });
        if (stopping) messages.stop();
        for await (const m of messages) {
          attempt = 0;
          add(m);
          if (rows >= o.batchRows) await flush();
          else if (current.messages.length > 0) timer ??= setTimeout(() => void flush(), o.lingerMs);
        }
      } catch (err) {
        if (!stopping) o.log.warn({ err }, "analytics consumer failed; pulling again");
      }
      if (!stopping) await sleep(backoffMs(attempt, maxBackoffMs));
    }
  }

  const loop = consumeLoop();

  return {
    status: () => status,
    async stop() {
      stopping = true;
      messages?.stop();
      for (const w of [...wake]) w();
      await loop;
      await flush();
      await chain;
      clearInterval(keepAlive);
    },
  };
}

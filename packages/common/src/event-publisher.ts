// Usage events, the events of requests refused at the door, and guard verdicts, off the request
// path and never lost: each kind is gathered into batches of its own subject (one
// JetStream message per batch, 20 milliseconds or a few hundred events each) and published
// without the request waiting; a batch that cannot be published (NATS away, no ack) goes to a
// bounded file outbox under the data folder and is replayed, oldest first, once NATS answers
// again. A batch keeps its id (its Nats-Msg-Id) through retries, so JetStream de-duplicates a
// batch it already stored; downstream, the request id de-duplicates each event. Refusals are
// worth less than usage (which is money) and may come in floods: their batches take at most a
// quarter of the outbox, so an outage under a flood of refusals never crowds usage out.
import { randomUUID } from "node:crypto";
import { create, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  GuardVerdictBatchSchema,
  GuardVerdictSchema,
  UsageEventBatchSchema,
  UsageEventSchema,
  type GuardVerdict,
  type UsageEvent,
} from "@switchyard/proto";
import { Counter, Gauge, type Registry } from "prom-client";
import type { Logger } from "./logging.js";
import { openSpool, removeEmptySpool, type Spool } from "./outbox-spool.js";
import type { Subjects } from "./subjects.js";

export interface EventPublisher {
  /** Queues a usage event for the next batch; never blocks and never throws. */
  usage(event: MessageInitShape<typeof UsageEventSchema>): void;
  /**
   * Queues the event of a request refused at the door (never in the pipeline) for the next batch
   * of those (their own subject, which settlement does not read); same rules.
   */
  rejected(event: MessageInitShape<typeof UsageEventSchema>): void;
  /** Queues a guard verdict for the next batch of verdicts (their own subject); same rules. */
  verdict(verdict: MessageInitShape<typeof GuardVerdictSchema>): void;
  /**
   * Resolves once every event queued so far is stored by JetStream or in the outbox, without
   * hurrying the batch: work that must not be recorded as done before its usage event is (a
   * batch's line) waits on this.
   */
  settled(): Promise<void>;
  /** Publishes what is queued and waits for every batch to be stored or spooled (shutdown). */
  close(): Promise<void>;
}

export interface EventPublisherOptions {
  nc: NatsConnection;
  subjects: Subjects;
  log: Logger;
  /** True while NATS is connected: batches go straight to the outbox otherwise. */
  connected: () => boolean;
  /** The outbox folder of this service; each process spools under <dir>/<pid>. */
  outboxDir: string;
  registry?: Registry;
  /** Largest outbox; past it new batches are dropped (and counted). */
  maxOutboxBytes?: number;
  /** How long the first event of a batch waits for others. */
  lingerMs?: number;
  maxBatch?: number;
}

const PUBLISH_TIMEOUT_MS = 5_000;
const REPLAY_EVERY_MS = 1_000;
const MAX_IN_FLIGHT = 32;
/** The share of the outbox batches of refusals may fill. */
const REJECTED_OUTBOX_SHARE = 0.25;

export function createEventPublisher(opts: EventPublisherOptions): EventPublisher {
  const js: JetStreamClient = jetstream(opts.nc, { timeout: PUBLISH_TIMEOUT_MS });
  // Each batch is a socket write and a JetStream message: at 20 ms a busy process sends ~50 a
  // second whatever its request rate. Settlement and analytics do not mind the wait.
  const lingerMs = opts.lingerMs ?? 20;
  const maxBatch = opts.maxBatch ?? 256;
  const maxOutboxBytes = opts.maxOutboxBytes ?? 256 * 1024 * 1024;
  const spool: Spool = openSpool(opts.outboxDir, maxOutboxBytes);
  const metrics = eventMetrics(opts.registry, spool);

  let pending: UsageEvent[] = [];
  let pendingRejected: UsageEvent[] = [];
  let pendingVerdicts: GuardVerdict[] = [];
  let timer: NodeJS.Timeout | undefined;
  const inFlight = new Set<Promise<void>>();
  /** settled() calls waiting for the queued batch to leave. */
  let flushWaiters: (() => void)[] = [];
  let replaying: Promise<void> | undefined;

  function spoolBatch(subject: string, id: string, data: Uint8Array, events: number): void {
    const overShare =
      subject === opts.subjects.rejectedEvents &&
      spool.bytes() + data.length > maxOutboxBytes * REJECTED_OUTBOX_SHARE;
    if (!overShare && spool.add(subject, id, data)) metrics.spooled.inc(events);
    else {
      metrics.dropped.inc(events);
      const what = overShare ? "refusals' share of the event outbox" : "event outbox";
      opts.log.error({ batch: id, events, subject }, `${what} is full: events dropped`);
    }
  }

  function usageBatch(subject: string, events: UsageEvent[]): void {
    const batchId = randomUUID();
    const batch = create(UsageEventBatchSchema, { batchId, events });
    send(subject, batchId, toBinary(UsageEventBatchSchema, batch), events.length);
  }

  function flush(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (pending.length > 0) {
      usageBatch(opts.subjects.usageEvents, pending);
      pending = [];
    }
    if (pendingRejected.length > 0) {
      usageBatch(opts.subjects.rejectedEvents, pendingRejected);
      pendingRejected = [];
    }
    if (pendingVerdicts.length > 0) {
      const verdicts = pendingVerdicts;
      pendingVerdicts = [];
      const batchId = randomUUID();
      const batch = create(GuardVerdictBatchSchema, { batchId, verdicts });
      send(opts.subjects.guardVerdicts, batchId, toBinary(GuardVerdictBatchSchema, batch), verdicts.length);
    }
    const waiters = flushWaiters;
    flushWaiters = [];
    for (const w of waiters) w();
  }

  /** Queues an item: the batch leaves when full, or `lingerMs` after the first item queued. */
  function queue<T>(list: T[], item: T): void {
    list.push(item);
    if (list.length >= maxBatch) flush();
    else timer ??= setTimeout(flush, lingerMs);
  }

  function send(subject: string, id: string, data: Uint8Array, events: number): void {
    // While NATS is away, or earlier batches still wait in the outbox, go to the outbox too.
    if (!opts.connected() || spool.count > 0 || inFlight.size >= MAX_IN_FLIGHT) {
      spoolBatch(subject, id, data, events);
      return;
    }
    const sent = js
      .publish(subject, data, { msgID: id })
      .then(
        () => metrics.published.inc(events),
        (err: unknown) => {
          opts.log.warn({ err, batch: id }, "events not acknowledged; kept in the outbox");
          spoolBatch(subject, id, data, events);
        },
      )
      .finally(() => inFlight.delete(sent));
    inFlight.add(sent);
  }

  /** Publishes spooled batches oldest first; stops at the first that fails. */
  function replay(): Promise<void> {
    if (replaying !== undefined || spool.count === 0 || !opts.connected())
      return replaying ?? Promise.resolve();
    replaying = (async () => {
      for (const batch of spool.list()) {
        if (!opts.connected()) break;
        try {
          await js.publish(batch.subject, batch.data, { msgID: batch.msgId });
          spool.remove(batch);
          metrics.replayed.inc();
        } catch (err) {
          opts.log.warn({ err, batch: batch.msgId }, "outbox replay paused");
          break;
        }
      }
    })().finally(() => (replaying = undefined));
    return replaying;
  }

  const replayTimer = setInterval(() => void replay(), REPLAY_EVERY_MS);
  replayTimer.unref();
  void replay();

  return {
    usage: (init) => queue(pending, create(UsageEventSchema, init)),
    rejected: (init) => queue(pendingRejected, create(UsageEventSchema, init)),
    verdict: (init) => queue(pendingVerdicts, create(GuardVerdictSchema, init)),
    async settled() {
      if (timer !== undefined) await new Promise<void>((resolve) => flushWaiters.push(resolve));
      await Promise.all(inFlight);
    },
    async close() {
      clearInterval(replayTimer);
      flush();
      await Promise.all(inFlight);
      await replay();
      if (spool.count === 0) removeEmptySpool(opts.outboxDir);
    },
  };
}

function eventMetrics(registry: Registry | undefined, spool: Spool) {
  const registers = registry ? [registry] : [];
  const counter = (name: string, help: string) => new Counter({ name, help, registers });
  const outbox = new Gauge({
    name: "switchyard_event_outbox_bytes",
    help: "Usage-event batches waiting in the local outbox for NATS, in bytes",
    registers,
    collect() {
      this.set(spool.bytes());
    },
  });
  void outbox;
  return {
    published: counter("switchyard_events_published_total", "Usage events stored by JetStream on first try"),
    spooled: counter("switchyard_events_spooled_total", "Usage events written to the local outbox"),
    replayed: counter(
      "switchyard_event_batches_replayed_total",
      "Outbox batches stored by JetStream on replay",
    ),
    dropped: counter("switchyard_events_dropped_total", "Usage events dropped because the outbox was full"),
  };
}

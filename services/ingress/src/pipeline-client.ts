// Ingress's side of the pipeline: runs the request's inline stages in-process, sends it to the
// stages that run elsewhere, and waits for the answer on this replica's inbox: one Reply for
// unary calls, numbered StreamFrames for streams. Ingress never waits past the deadline, tells
// the pipeline when the client goes away, and writes each request's one usage event when the
// call ends.
//
// Inline stages may be any subset of the routing slip: an "@stage" entry runs here, and a stage
// process whose next entry is "@stage" sends the envelope back to this replica's home subject.
// In-process, requests, answers and stream frames pass as objects; nothing is encoded.
//
// Lost work is noticed within a second: a stage replica that holds one of this replica's
// requests says so every 200 ms (holdings.ts). A request out at the stage processes that no
// replica has reported for LOSS_MS was held by a replica that died (or is stuck): it is sent
// once more if nothing of it reached the client yet, and otherwise ends with a retryable error.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import {
  EnvelopeSchema,
  CancelSchema,
  HoldingSchema,
  type Admission,
  type Envelope,
  type Reply,
  type StageTiming,
  type StreamFrame,
} from "@switchyard/proto";
import {
  Flight,
  GatewayError,
  HEARTBEAT_MS,
  HOME,
  decodeFrame,
  decodeReply,
  failedReply,
  nextStage,
  publishError,
  runStep,
  timeLeftMs,
  type EventPublisher,
  type Publish,
  type ReplySink,
  type StageHandler,
  type Subjects,
} from "@switchyard/common";
import { recordEnd, type RequestEnd } from "./usage-event.js";

/** A request out at the stage processes that no replica has reported for this long is lost. */
export const LOSS_MS = 4 * HEARTBEAT_MS;

export type StreamEvent = { type: "frame"; frame: StreamFrame } | { type: "reply"; reply: Reply };

/** How a request ended, as its answer says. */
function endOf(reply: Reply): RequestEnd {
  const status = reply.result.case === "error" ? reply.result.value.code : "ok";
  return {
    status,
    outcome: reply.outcome,
    timings: reply.timings,
    guard: reply.guard,
    admission: reply.admission,
  };
}

interface Pending {
  onReply(reply: Reply): void;
  onFrame(frame: StreamFrame): void;
  /** Ends the call with this error. */
  onFail(err: GatewayError): void;
  /** When the request last left for a stage process; undefined while it is in this process. */
  remoteSince: number | undefined;
  /** When a stage replica last said it holds the request (or a frame of it arrived). */
  lastSeen: number;
  /** The stage and replica that last said so, for the error message. */
  holder: string;
  /** The first envelope sent out, to send once more if the replica holding it is lost. */
  firstSend: { subject: string; data: Uint8Array } | undefined;
  attempt: number;
  /** Something of the answer reached the client (a stream chunk): it cannot be sent again. */
  started: boolean;
}

export interface PipelineClient {
  /**
   * The answer. `onEntered` is called once the request is admitted (this replica has room, its
   * id is not in flight): from then on its usage event is written when it ends.
   */
  unary(flight: Flight, signal: AbortSignal, onEntered?: () => void): Promise<Reply>;
  /** Frames in sequence order, ending with a terminal frame or an early error Reply. */
  stream(flight: Flight, signal: AbortSignal, onEntered?: () => void): AsyncGenerator<StreamEvent>;
  inFlight(): number;
  /** The subject where stage processes send envelopes back for this replica's inline stages. */
  readonly homeSubject: string;
  /** Where inline stages answer: straight to the waiting call. */
  readonly replies: ReplySink;
  close(): Promise<void>;
}

export function createPipelineClient(deps: {
  nc: NatsConnection;
  /** How envelopes leave for stage processes (gathered per turn of the event loop). */
  publish: Publish;
  subjects: Subjects;
  instanceId: string;
  maxInFlight: number;
  /** Stages run in-process, by name; the rest are reached over NATS. */
  inline: ReadonlyMap<string, StageHandler>;
  /** Every request's one usage event (and its guard verdicts) is written here, when it ends. */
  events: EventPublisher;
  /** True while NATS is connected: loss detection waits while it is not. */
  connected: () => boolean;
  /** Counts requests sent again, and those lost for good. */
  onLoss?: (outcome: "retried" | "failed") => void;
}): PipelineClient {
  const { nc, subjects } = deps;
  const inbox = `${subjects.inboxPrefix}.${deps.instanceId}`;
  const homeSubject = `${inbox}.s`;
  const holdingSubject = `${inbox}.h`;
  const pending = new Map<string, Pending>();
  /** Each waiting request's deadline, as the signal its inline stages get. */
  const deadlines = new Map<string, AbortSignal>();

  const replies: ReplySink = {
    reply: (env, reply) => pending.get(env.requestId)?.onReply(reply),
    frame: (env, frame) => pending.get(env.requestId)?.onFrame(frame),
  };
  const subscribe = (subject: string, onData: (data: Uint8Array) => void): Subscription =>
    nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err !== null) return;
        try {
          onData(msg.data);
        } catch {
          // A message that does not decode answers nothing; the deadline does.
        }
      },
    });
  const subs = [
    subscribe(`${inbox}.r.*`, (data) => {
      const reply = decodeReply(data);
      pending.get(reply.requestId)?.onReply(reply);
    }),
    subscribe(`${inbox}.f.*`, (data) => {
      const frame = decodeFrame(data);
      pending.get(frame.requestId)?.onFrame(frame);
    }),
    // An envelope back from a stage process, for the inline stage its slip names next.
    subscribe(homeSubject, (data) => {
      const flight = Flight.fromWire(data);
      const signal = deadlines.get(flight.env.requestId);
      const p = pending.get(flight.env.requestId);
      if (signal === undefined || p === undefined || flight.env.attempt !== p.attempt) return;
      p.remoteSince = undefined;
      flight.deadline = signal;
      void run(flight, flight.env.itinerary[flight.env.hop - 1]);
    }),
    subscribe(holdingSubject, (data) => {
      const holding = fromBinary(HoldingSchema, data);
      const now = Date.now();
      for (const id of holding.requestIds) {
        const p = pending.get(id);
        if (p === undefined) continue;
        p.lastSeen = now;
        p.holder = `${holding.stage} replica ${holding.replica}`;
      }
    }),
  ];

  /** Sends a lost request once more, or ends it with a retryable error. */
  function lost(id: string, p: Pending, now: number): void {
    if (p.attempt === 0 && !p.started && p.firstSend !== undefined) {
      p.attempt = 1;
      p.remoteSince = p.lastSeen = now;
      const again = toBinary(EnvelopeSchema, create(EnvelopeSchema, { attempt: 1 }));
      const data = new Uint8Array(p.firstSend.data.length + again.length);
      data.set(p.firstSend.data);
      data.set(again, p.firstSend.data.length);
      deps.onLoss?.("retried");
      try {
        deps.publish(p.firstSend.subject, data);
        return;
      } catch {
        // fall through: it cannot be sent again
      }
    }
    deps.onLoss?.("failed");
    p.onFail(
      new GatewayError(
        "unavailable",
        `the ${p.holder || "stage"} holding request ${id} stopped answering; retry`,
        { stage: "ingress" },
      ),
    );
  }

  const checker = setInterval(() => {
    const now = Date.now();
    // While NATS is away nothing can be reported; every request gets a fresh start after.
    if (!deps.connected()) {
      for (const p of pending.values()) p.lastSeen = now;
      return;
    }
    for (const [id, p] of pending) {
      if (p.remoteSince === undefined) continue;
      if (now - Math.max(p.remoteSince, p.lastSeen) > LOSS_MS) lost(id, p, now);
    }
  }, HEARTBEAT_MS);
  checker.unref();

  function admit(env: Envelope): void {
    if (pending.size >= deps.maxInFlight)
      throw new GatewayError("unavailable", "ingress is overloaded; retry", { stage: "ingress" });
    if (pending.has(env.requestId)) {
      throw new GatewayError("invalid_argument", `request id ${env.requestId} is already in flight`, {
        field: "x-request-id",
      });
    }
    env.replySubject = `${inbox}.r.${env.requestId}`;
    if (env.stream) env.streamSubject = `${inbox}.f.${env.requestId}`;
    env.cancelSubject = subjects.cancel(env.requestId);
    env.homeSubject = homeSubject;
    env.holdingSubject = holdingSubject;
  }

  function track(handlers: Pick<Pending, "onReply" | "onFrame" | "onFail">): Pending {
    return {
      ...handlers,
      remoteSince: undefined,
      lastSeen: 0,
      holder: "",
      firstSend: undefined,
      attempt: 0,
      started: false,
    };
  }

  /**
   * Runs inline stages from routing-slip entry `entry` on, then sends the envelope to the first
   * stage that runs elsewhere. Never throws: a failure reaches the waiting call as an error Reply.
   */
  async function run(flight: Flight, entry: string | undefined): Promise<void> {
    const env = flight.env;
    const answer = (reply: Reply): void => pending.get(env.requestId)?.onReply(reply);
    try {
      for (;;) {
        if (entry === undefined)
          throw new GatewayError("internal", "the routing slip ended without an answer");
        if (!entry.startsWith(HOME)) break;
        const stage = entry.slice(HOME.length);
        const handler = deps.inline.get(stage);
        if (handler === undefined)
          throw new GatewayError("internal", `stage ${stage} is not inline in this ingress`);
        // Ended meanwhile (deadline or client gone): the watcher has already answered.
        if (!pending.has(env.requestId)) return;
        const outcome = await runStep(stage, deps.instanceId, handler, flight);
        if (outcome.kind === "answered") return;
        if (outcome.kind === "failed") {
          answer(failedReply(env, outcome.error));
          return;
        }
        entry = outcome.next;
      }
      const p = pending.get(env.requestId);
      if (p === undefined) return;
      const subject = subjects.stage(entry);
      const data = flight.toWire();
      try {
        deps.publish(subject, data);
        p.remoteSince = p.lastSeen = Date.now();
        p.firstSend ??= { subject, data };
      } catch (err) {
        answer(failedReply(env, publishError(err, "ingress")));
      }
    } catch (err) {
      answer(failedReply(env, GatewayError.from(err).atStage("ingress")));
    }
  }

  function cancel(env: Envelope, reason: string): void {
    if (nc.isClosed()) return;
    nc.publish(
      env.cancelSubject,
      toBinary(CancelSchema, create(CancelSchema, { requestId: env.requestId, reason })),
    );
  }

  /**
   * One timer per request: at the deadline it aborts the signal the inline stages wait on and
   * ends the call; a client that goes away ends it too. Returns the cleanup.
   */
  function watch(flight: Flight, signal: AbortSignal, onEnd: (err: GatewayError) => void): () => void {
    const env = flight.env;
    const deadline = new AbortController();
    flight.deadline = deadline.signal;
    deadlines.set(env.requestId, deadline.signal);
    const timer = setTimeout(
      () => {
        deadline.abort(new DOMException("the request deadline passed", "TimeoutError"));
        cancel(env, "deadline");
        onEnd(
          new GatewayError("deadline_exceeded", "the request deadline passed before an answer came", {
            stage: "ingress",
          }),
        );
      },
      Math.max(timeLeftMs(env), 0),
    );
    const onAbort = (): void => {
      cancel(env, "client went away");
      onEnd(new GatewayError("cancelled", "the client cancelled the request"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    return () => {
      clearTimeout(timer);
      deadlines.delete(env.requestId);
      signal.removeEventListener("abort", onAbort);
    };
  }

  return {
    inFlight: () => pending.size,
    homeSubject,
    replies,

    unary(flight, signal, onEntered) {
      const env = flight.env;
      admit(env);
      onEntered?.();
      const id = env.requestId;
      return new Promise<Reply>((resolve, reject) => {
        const finish = (end: RequestEnd, fn: () => void): void => {
          if (pending.get(id) !== p) return;
          pending.delete(id);
          unwatch();
          recordEnd(deps.events, env, { ...end, retries: p.attempt });
          fn();
        };
        const fail = (err: GatewayError): void =>
          finish({ status: err.code, timings: env.timings }, () => reject(err));
        const p = track({
          onReply: (reply) => finish(endOf(reply), () => resolve(reply)),
          onFrame: () => undefined,
          onFail: fail,
        });
        pending.set(id, p);
        const unwatch = watch(flight, signal, fail);
        void run(flight, nextStage(env));
      });
    },

    async *stream(flight, signal, onEntered) {
      const env = flight.env;
      admit(env);
      onEntered?.();
      const id = env.requestId;
      // A small queue bridges callbacks to the async generator; out-of-order frames wait in
      // `early` until the gap before them is filled.
      const queue: StreamEvent[] = [];
      const early = new Map<bigint, StreamFrame>();
      let nextSeq = 0n;
      let failure: GatewayError | undefined;
      let wake: (() => void) | undefined;
      const notify = (): void => {
        wake?.();
        wake = undefined;
      };
      // How the stream ended, for its usage event: set by the terminal frame or early reply;
      // a stream that ends without one (deadline, the client gone, the replica lost) ends
      // with that error.
      let end: RequestEnd | undefined;
      let timings: readonly StageTiming[] = env.timings;
      let admission: Admission | undefined;
      const p = track({
        onReply: (reply) => {
          end ??= endOf(reply);
          queue.push({ type: "reply", reply });
          notify();
        },
        onFrame: (frame) => {
          if (frame.attempt !== p.attempt) return; // from a replica given up for lost
          p.lastSeen = Date.now();
          early.set(frame.seq, frame);
          for (let f = early.get(nextSeq); f !== undefined; f = early.get(nextSeq)) {
            early.delete(nextSeq);
            nextSeq++;
            p.started = true;
            if (f.timings.length > 0) timings = f.timings;
            admission ??= f.admission;
            if (f.kind.case === "done") timings = f.kind.value.timings;
            if (f.kind.case === "done" || f.kind.case === "error") {
              const status = f.kind.case === "done" ? "ok" : f.kind.value.code;
              end ??= { status, outcome: f.outcome, timings, admission };
            }
            queue.push({ type: "frame", frame: f });
          }
          notify();
        },
        onFail: (err) => {
          failure ??= err;
          notify();
        },
      });
      pending.set(id, p);
      const unwatch = watch(flight, signal, (err) => p.onFail(err));
      try {
        // Not awaited: an inline provider runs until the stream ends, and frames must flow meanwhile.
        void run(flight, nextStage(env));
        for (;;) {
          const event = queue.shift();
          if (event !== undefined) {
            yield event;
            if (event.type === "reply" || event.frame.kind.case !== "chunk") return;
            continue;
          }
          if (failure !== undefined) throw failure;
          await new Promise<void>((resolve) => (wake = resolve));
        }
      } finally {
        pending.delete(id);
        unwatch();
        const ended = end ?? { status: failure?.code ?? "cancelled", timings, admission };
        recordEnd(deps.events, env, { ...ended, retries: p.attempt });
      }
    },

    async close() {
      clearInterval(checker);
      for (const sub of subs) await sub.drain();
    },
  };
}

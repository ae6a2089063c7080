// Ingress's side of the pipeline: runs the request's inline stages in-process, sends it to the
// stages that run elsewhere, and waits for the answer on this replica's inbox: one Reply for
// unary calls, numbered StreamFrames for streams. Ingress never waits past the deadline, and
// tells the pipeline when the client goes away.
//
// Inline stages may be any subset of the routing slip: an "@stage" entry runs here, and a stage
// process whose next entry is "@stage" sends the envelope back to this replica's home subject.
// In-process, requests, answers and stream frames pass as objects; nothing is encoded.
import { create, toBinary } from "@bufbuild/protobuf";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import {
  Flight,
  GatewayError,
  HOME,
  decodeFrame,
  decodeReply,
  failedReply,
  failedUsage,
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
import { CancelSchema, type Envelope, type Reply, type StreamFrame } from "@switchyard/proto";

export type StreamEvent = { type: "frame"; frame: StreamFrame } | { type: "reply"; reply: Reply };

interface Pending {
  onReply(reply: Reply): void;
  onFrame(frame: StreamFrame): void;
}

export interface PipelineClient {
  unary(flight: Flight, signal: AbortSignal): Promise<Reply>;
  /** Frames in sequence order, ending with a terminal frame or an early error Reply. */
  stream(flight: Flight, signal: AbortSignal): AsyncGenerator<StreamEvent>;
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
  /** Requests an inline stage ends with an error still leave their one usage event. */
  events: EventPublisher;
}): PipelineClient {
  const { nc, subjects } = deps;
  const inbox = `${subjects.inboxPrefix}.${deps.instanceId}`;
  const homeSubject = `${inbox}.s`;
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
      if (signal === undefined) return; // ended meanwhile (deadline or client gone)
      flight.deadline = signal;
      void run(flight, flight.env.itinerary[flight.env.hop - 1]);
    }),
  ];

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
          deps.events.usage(failedUsage(env, outcome.error));
          answer(failedReply(env, outcome.error));
          return;
        }
        entry = outcome.next;
      }
      if (!pending.has(env.requestId)) return;
      try {
        deps.publish(subjects.stage(entry), flight.toWire());
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

    unary(flight, signal) {
      admit(flight.env);
      const id = flight.env.requestId;
      return new Promise<Reply>((resolve, reject) => {
        const finish = (fn: () => void): void => {
          pending.delete(id);
          unwatch();
          fn();
        };
        const unwatch = watch(flight, signal, (err) => finish(() => reject(err)));
        pending.set(id, {
          onReply: (reply) => finish(() => resolve(reply)),
          onFrame: () => undefined,
        });
        void run(flight, nextStage(flight.env));
      });
    },

    async *stream(flight, signal) {
      admit(flight.env);
      const id = flight.env.requestId;
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
      const unwatch = watch(flight, signal, (err) => {
        failure = err;
        notify();
      });
      pending.set(id, {
        onReply: (reply) => {
          queue.push({ type: "reply", reply });
          notify();
        },
        onFrame: (frame) => {
          early.set(frame.seq, frame);
          for (let f = early.get(nextSeq); f !== undefined; f = early.get(nextSeq)) {
            early.delete(nextSeq);
            nextSeq++;
            queue.push({ type: "frame", frame: f });
          }
          notify();
        },
      });
      try {
        // Not awaited: an inline provider runs until the stream ends, and frames must flow meanwhile.
        void run(flight, nextStage(flight.env));
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
      }
    },

    async close() {
      for (const sub of subs) await sub.drain();
    },
  };
}

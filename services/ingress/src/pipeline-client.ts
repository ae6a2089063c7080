// Ingress's side of the pipeline: publishes an envelope to its first stage and waits for the
// answer on this replica's inbox: one Reply for unary calls, numbered StreamFrames for streams.
// Ingress never waits past the deadline, and tells the pipeline when the client goes away.
// Inline stages at the head of the routing slip run here, in-process, before the first hop.
import { create, toBinary } from "@bufbuild/protobuf";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import {
  GatewayError,
  decodeFrame,
  decodeReply,
  encodeEnvelope,
  failedReply,
  failedUsage,
  popNextStage,
  publishError,
  runStep,
  timeLeftMs,
  type EventPublisher,
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
  unary(env: Envelope, signal: AbortSignal): Promise<Reply>;
  /** Frames in sequence order, ending with a terminal frame or an early error Reply. */
  stream(env: Envelope, signal: AbortSignal): AsyncGenerator<StreamEvent>;
  inFlight(): number;
  /**
   * Hands a reply or stream frame addressed to this replica's inbox straight to the waiting
   * call, as an inline provider does; false for any other subject.
   */
  deliver(subject: string, data: Uint8Array): boolean;
  close(): Promise<void>;
}

export function createPipelineClient(deps: {
  nc: NatsConnection;
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
  const pending = new Map<string, Pending>();

  const onReply = (data: Uint8Array): void => {
    const reply = decodeReply(data);
    pending.get(reply.requestId)?.onReply(reply);
  };
  const onFrame = (data: Uint8Array): void => {
    const frame = decodeFrame(data);
    pending.get(frame.requestId)?.onFrame(frame);
  };
  const replies: Subscription = nc.subscribe(`${inbox}.r.*`, {
    callback: (err, msg) => {
      if (err === null) onReply(msg.data);
    },
  });
  const frames: Subscription = nc.subscribe(`${inbox}.f.*`, {
    callback: (err, msg) => {
      if (err === null) onFrame(msg.data);
    },
  });

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
  }

  /**
   * Runs the inline stages at the head of the routing slip, then publishes to the first stage
   * that runs elsewhere. Never throws: a failure reaches the waiting call as an error Reply.
   */
  async function send(env: Envelope): Promise<void> {
    const answer = (reply: Reply): void => pending.get(env.requestId)?.onReply(reply);
    // What a stage process gets as the handler's signal: the envelope's deadline.
    let deadline: AbortSignal | undefined;
    try {
      let next = popNextStage(env);
      for (;;) {
        if (next === undefined) throw new GatewayError("internal", "empty routing slip");
        const handler = deps.inline.get(next);
        if (handler === undefined) break;
        // Ended meanwhile (deadline or client gone): the watcher has already answered.
        if (!pending.has(env.requestId)) return;
        deadline ??= AbortSignal.timeout(Math.max(timeLeftMs(env), 0));
        const outcome = await runStep(next, deps.instanceId, handler, env, deadline);
        if (outcome.kind === "answered") return;
        if (outcome.kind === "failed") {
          deps.events.usage(failedUsage(env, outcome.error));
          answer(failedReply(env, outcome.error));
          return;
        }
        next = outcome.next;
      }
      if (!pending.has(env.requestId)) return;
      try {
        nc.publish(subjects.stage(next), encodeEnvelope(env));
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

  /** Resolves when the deadline passes or the client goes away; rejects with the matching error. */
  function watch(env: Envelope, signal: AbortSignal, onEnd: (err: GatewayError) => void): () => void {
    const timer = setTimeout(
      () => {
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
      signal.removeEventListener("abort", onAbort);
    };
  }

  return {
    inFlight: () => pending.size,

    unary(env, signal) {
      admit(env);
      return new Promise<Reply>((resolve, reject) => {
        const finish = (fn: () => void): void => {
          pending.delete(env.requestId);
          unwatch();
          fn();
        };
        const unwatch = watch(env, signal, (err) => finish(() => reject(err)));
        pending.set(env.requestId, {
          onReply: (reply) => finish(() => resolve(reply)),
          onFrame: () => undefined,
        });
        void send(env);
      });
    },

    async *stream(env, signal) {
      admit(env);
      // A small queue bridges NATS callbacks to the async generator; out-of-order frames wait
      // in `early` until the gap before them is filled.
      const queue: StreamEvent[] = [];
      const early = new Map<bigint, StreamFrame>();
      let nextSeq = 0n;
      let failure: GatewayError | undefined;
      let wake: (() => void) | undefined;
      const notify = (): void => {
        wake?.();
        wake = undefined;
      };
      const unwatch = watch(env, signal, (err) => {
        failure = err;
        notify();
      });
      pending.set(env.requestId, {
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
        void send(env);
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
        pending.delete(env.requestId);
        unwatch();
      }
    },

    deliver(subject, data) {
      if (!subject.startsWith(`${inbox}.`)) return false;
      const kind = subject.slice(inbox.length + 1, inbox.length + 3);
      if (kind === "r.") onReply(data);
      else if (kind === "f.") onFrame(data);
      else return false;
      return true;
    },

    async close() {
      await replies.drain();
      await frames.drain();
    },
  };
}

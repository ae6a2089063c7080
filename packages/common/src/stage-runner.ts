// The loop every pipeline stage runs: take envelopes from the stage's queue group, drop
// expired ones, shed load past a bound on in-flight work, run the stage's decision, then
// forward along the routing slip or answer the client with an error.
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Envelope } from "@switchyard/proto";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { decodeEnvelope, encodeEnvelope, encodeReply, timeLeftMs } from "./envelope.js";
import { GatewayError, publishError } from "./errors.js";
import type { EventPublisher } from "./jetstream.js";
import type { Logger } from "./logging.js";
import { failedReply, failedUsage, runStep, type StageHandler } from "./stage-step.js";
import type { Subjects } from "./subjects.js";

export interface StageRunnerOptions {
  stage: string;
  instance: string;
  nc: NatsConnection;
  subjects: Subjects;
  log: Logger;
  registry: Registry;
  maxInFlight: number;
  handler: StageHandler;
  /** Requests this stage ends with an error still leave their one usage event. */
  events: EventPublisher;
}

export interface StageRunner {
  inFlight(): number;
  /** Stop taking new work and wait for in-flight work to finish. */
  stop(): Promise<void>;
}

export function startStageRunner(opts: StageRunnerOptions): StageRunner {
  const { stage, nc, log } = opts;
  const processed = new Counter({
    name: "switchyard_stage_messages_total",
    help: "Envelopes handled by this stage, by outcome",
    labelNames: ["stage", "outcome"],
    registers: [opts.registry],
  });
  const duration = new Histogram({
    name: "switchyard_stage_processing_seconds",
    help: "Time spent inside the stage per envelope",
    labelNames: ["stage"],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1, 5, 30],
    registers: [opts.registry],
  });
  const inFlightGauge = new Gauge({
    name: "switchyard_stage_in_flight",
    help: "Envelopes being processed now",
    labelNames: ["stage"],
    registers: [opts.registry],
  });

  let inFlight = 0;
  let idle: (() => void) | undefined;
  const sub: Subscription = nc.subscribe(opts.subjects.stage(stage), {
    queue: stage,
    callback: (err, msg) => {
      if (err) {
        log.error({ err }, "stage subscription error");
        return;
      }
      void handle(msg);
    },
  });

  function replyError(env: Envelope, err: GatewayError): void {
    opts.events.usage(failedUsage(env, err));
    if (env.replySubject === "") return;
    try {
      nc.publish(env.replySubject, encodeReply(failedReply(env, err)));
    } catch (perr) {
      // Closed connection: ingress's deadline answers the client.
      log.warn({ err: perr, requestId: env.requestId }, "could not publish an error reply");
    }
  }

  async function handle(msg: Msg): Promise<void> {
    const started = process.hrtime.bigint();
    let env: Envelope;
    try {
      env = decodeEnvelope(msg.data);
    } catch (err) {
      processed.inc({ stage, outcome: "malformed" });
      log.error({ err }, "dropping an envelope that does not decode");
      return;
    }
    const left = timeLeftMs(env);
    if (left <= 0) {
      processed.inc({ stage, outcome: "expired" });
      replyError(
        env,
        new GatewayError("deadline_exceeded", `deadline passed before stage ${stage}`, { stage }),
      );
      return;
    }
    if (inFlight >= opts.maxInFlight) {
      processed.inc({ stage, outcome: "shed" });
      replyError(env, new GatewayError("unavailable", `stage ${stage} is overloaded; retry`, { stage }));
      return;
    }
    inFlight++;
    inFlightGauge.inc({ stage });
    const signal = AbortSignal.timeout(left);
    try {
      const outcome = await runStep(stage, opts.instance, opts.handler, env, signal, started);
      if (outcome.kind === "answered") processed.inc({ stage, outcome: "answered" });
      else if (outcome.kind === "forward") {
        try {
          nc.publish(opts.subjects.stage(outcome.next), encodeEnvelope(outcome.env));
          processed.inc({ stage, outcome: "forwarded" });
        } catch (err) {
          processed.inc({ stage, outcome: "unforwardable" });
          replyError(env, publishError(err, stage));
        }
      } else {
        processed.inc({ stage, outcome: outcome.error.code });
        if (outcome.error.code === "internal")
          log.error({ err: outcome.error, requestId: env.requestId }, "stage failed");
        replyError(env, outcome.error);
      }
    } finally {
      inFlight--;
      inFlightGauge.dec({ stage });
      duration.observe({ stage }, Number(process.hrtime.bigint() - started) / 1e9);
      if (inFlight === 0) idle?.();
    }
  }

  return {
    inFlight: () => inFlight,
    stop: async () => {
      await sub.drain();
      if (inFlight > 0) await new Promise<void>((resolve) => (idle = resolve));
    },
  };
}

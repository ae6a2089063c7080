// The loop every pipeline stage process runs: take envelopes from the stage's queue group, drop
// expired ones, shed load past a bound on in-flight work, run the stage's decision, then
// forward along the routing slip or answer the client with an error.
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Envelope } from "@switchyard/proto";
import type { Registry } from "prom-client";
import { timeLeftMs } from "./envelope.js";
import { GatewayError, publishError } from "./errors.js";
import { Flight } from "./flight.js";
import type { Logger } from "./logging.js";
import type { Publish } from "./publish-batcher.js";
import { startHoldings } from "./holdings.js";
import { stageMetrics } from "./stage-metrics.js";
import { failedReply, runStep, type ReplySink, type StageHandler } from "./stage-step.js";
import type { Subjects } from "./subjects.js";

export interface StageRunnerOptions {
  stage: string;
  instance: string;
  nc: NatsConnection;
  /** How envelopes are passed on (gathered per turn of the event loop). */
  publish: Publish;
  subjects: Subjects;
  log: Logger;
  registry: Registry;
  maxInFlight: number;
  handler: StageHandler;
  /** Where error answers go (the handler has its own, for the answers it gives). */
  replies: ReplySink;
}

export interface StageRunner {
  inFlight(): number;
  /** Stop taking new work and wait for in-flight work to finish. */
  stop(): Promise<void>;
}

export function startStageRunner(opts: StageRunnerOptions): StageRunner {
  const { stage, nc, log } = opts;
  const metrics = stageMetrics(opts.registry, stage);
  const holdings = startHoldings({ stage, instance: opts.instance, publish: opts.publish });
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
    opts.replies.reply(env, failedReply(env, err));
  }

  async function handle(msg: Msg): Promise<void> {
    const started = process.hrtime.bigint();
    let flight: Flight;
    try {
      flight = Flight.fromWire(msg.data);
    } catch (err) {
      metrics.outcome("malformed");
      log.error({ err }, "dropping an envelope that does not decode");
      return;
    }
    const env = flight.env;
    if (timeLeftMs(env) <= 0) {
      metrics.outcome("expired");
      replyError(
        env,
        new GatewayError("deadline_exceeded", `deadline passed before stage ${stage}`, { stage }),
      );
      return;
    }
    if (inFlight >= opts.maxInFlight) {
      metrics.outcome("shed");
      replyError(env, new GatewayError("unavailable", `stage ${stage} is overloaded; retry`, { stage }));
      return;
    }
    inFlight++;
    metrics.inFlight.inc();
    holdings.take(env);
    try {
      const outcome = await runStep(stage, opts.instance, opts.handler, flight, started);
      if (outcome.kind === "answered") metrics.outcome("answered");
      else if (outcome.kind === "forward") {
        try {
          opts.publish(opts.subjects.next(env, outcome.next), flight.toWire());
          metrics.outcome("forwarded");
        } catch (err) {
          metrics.outcome("unforwardable");
          replyError(env, publishError(err, stage));
        }
      } else {
        metrics.outcome(outcome.error.code);
        if (outcome.error.code === "internal")
          log.error({ err: outcome.error, requestId: env.requestId }, "stage failed");
        replyError(env, outcome.error);
      }
    } finally {
      holdings.release(env);
      inFlight--;
      metrics.inFlight.dec();
      metrics.duration.observe(Number(process.hrtime.bigint() - started) / 1e9);
      if (inFlight === 0) idle?.();
    }
  }

  return {
    inFlight: () => inFlight,
    stop: async () => {
      await sub.drain();
      if (inFlight > 0) await new Promise<void>((resolve) => (idle = resolve));
      holdings.stop();
    },
  };
}

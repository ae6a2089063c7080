// Stages ingress can run in-process. Each is the same handler its own process runs, so the
// only difference is the NATS hops saved (and that the stage then scales with ingress). A
// stage's code is loaded only when it runs inline here.
import type { NatsConnection } from "@nats-io/transport-node";
import {
  type EventPublisher,
  type GatewayConfig,
  type Logger,
  type ReadinessCheck,
  type ReplySink,
  type StageHandler,
  type Subjects,
} from "@switchyard/common";
import type { Registry } from "prom-client";

export const INLINE_STAGES = ["guard", "router", "meter", "provider"] as const;
export type InlineStage = (typeof INLINE_STAGES)[number];

export interface InlineStages {
  handlers: ReadonlyMap<string, StageHandler>;
  readiness: Record<string, ReadinessCheck>;
  close: () => Promise<void>;
}

export async function createInlineStages(deps: {
  stages: readonly InlineStage[];
  gateway: GatewayConfig;
  redisUrl: string;
  redisPrefix: string;
  rateLimitFailMode: "open" | "closed";
  budgetFailMode: "open" | "closed";
  log: Logger;
  instance: string;
  nc: NatsConnection;
  subjects: Subjects;
  events: EventPublisher;
  registry: Registry;
  /** Where an inline provider sends answers and stream frames (straight to the waiting call). */
  replies: ReplySink;
}): Promise<InlineStages> {
  const handlers = new Map<string, StageHandler>();
  let readiness: Record<string, ReadinessCheck> = {};
  const closers: (() => void | Promise<void>)[] = [];
  for (const stage of deps.stages) {
    switch (stage) {
      case "guard": {
        const { createGuardMetrics, createGuardStage, openModelLayer } =
          await import("@switchyard/guard/stage");
        const model = await openModelLayer(deps.gateway.guard);
        if (model !== undefined) closers.push(() => model.close());
        handlers.set(
          stage,
          createGuardStage({
            policy: deps.gateway.guard,
            metrics: createGuardMetrics(deps.registry),
            hashSalt: process.env.SWITCHYARD_GUARD_HASH_SALT,
            model,
          }),
        );
        break;
      }
      case "router": {
        const { createRouterWorker } = await import("@switchyard/router/worker");
        const worker = await createRouterWorker(deps);
        handlers.set(stage, worker.handler);
        closers.push(worker.close);
        break;
      }
      case "meter": {
        const { createAdmission } = await import("@switchyard/meter/admission");
        const admission = await createAdmission({ ...deps, gateway: deps.gateway });
        handlers.set(stage, admission.handler);
        readiness = admission.readiness;
        closers.push(admission.close);
        break;
      }
      case "provider": {
        const { createProviderWorker } = await import("@switchyard/provider/worker");
        const worker = await createProviderWorker({ ...deps, secretsFrom: process.env });
        handlers.set(stage, worker.handler);
        closers.push(worker.close);
        break;
      }
    }
  }
  return {
    handlers,
    readiness,
    close: async () => {
      for (const close of closers) await close();
    },
  };
}

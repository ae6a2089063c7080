// Stages ingress can run in-process. Each is the same handler its own process runs, so the
// only difference is the NATS hop saved (and that the stage then scales with ingress).
import {
  buildCatalog,
  type GatewayConfig,
  type Logger,
  type ReadinessCheck,
  type StageHandler,
} from "@switchyard/common";
import { createGuardStage } from "@switchyard/guard/stage";
import { createAdmission } from "@switchyard/meter/admission";
import { createRouterStage } from "@switchyard/router/stage";

export const INLINE_STAGES = ["guard", "router", "meter"] as const;
export type InlineStage = (typeof INLINE_STAGES)[number];

export interface InlineStages {
  handlers: ReadonlyMap<string, StageHandler>;
  readiness: Record<string, ReadinessCheck>;
  close: () => void;
}

export async function createInlineStages(deps: {
  stages: readonly InlineStage[];
  gateway: GatewayConfig;
  redisUrl: string;
  redisPrefix: string;
  log: Logger;
}): Promise<InlineStages> {
  const handlers = new Map<string, StageHandler>();
  let readiness: Record<string, ReadinessCheck> = {};
  let close = (): void => undefined;
  for (const stage of deps.stages) {
    switch (stage) {
      case "guard":
        handlers.set(stage, createGuardStage({ policy: deps.gateway.guard }));
        break;
      case "router":
        handlers.set(stage, createRouterStage({ catalog: buildCatalog(deps.gateway) }));
        break;
      case "meter": {
        const admission = await createAdmission({ ...deps, keys: deps.gateway.keys });
        handlers.set(stage, admission.handler);
        readiness = admission.readiness;
        close = admission.close;
        break;
      }
    }
  }
  return { handlers, readiness, close };
}

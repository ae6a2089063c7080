// A pipeline stage process (guard, router, meter, provider): a service whose work is a
// StageHandler run by the stage runner on the stage's queue group.
import { join } from "node:path";
import { z } from "zod";
import { env, settings, type EnvValues } from "./config.js";
import { loadGatewayConfig, type GatewayConfig } from "./gateway-config.js";
import { createEventPublisher, type EventPublisher } from "./event-publisher.js";
import { ensureStreams } from "./jetstream.js";
import { createPublishBatcher } from "./publish-batcher.js";
import { natsReplySink } from "./reply-sink.js";
import {
  baseSettings,
  runService,
  type BaseSettings,
  type RunningService,
  type ServiceContext,
} from "./service.js";
import { startStageRunner } from "./stage-runner.js";
import type { ReplySink, StageHandler } from "./stage-step.js";

export function stageSettings(defaultMetricsPort: number) {
  return {
    ...baseSettings(defaultMetricsPort),
    maxInFlight: env("SWITCHYARD_MAX_IN_FLIGHT", settings.positiveInt().default(1024)),
    configPath: env("SWITCHYARD_CONFIG", z.string().default("config/switchyard.yaml")),
  };
}

export type StageSettings = EnvValues<ReturnType<typeof stageSettings>>;

export interface StageContext<C extends StageSettings> extends ServiceContext<C> {
  readonly gateway: GatewayConfig;
  /** Where a stage that answers the client sends the answer (the ingress inbox, over NATS). */
  readonly replies: ReplySink;
}

export interface StageWiring extends Omit<RunningService, "stop"> {
  handler: StageHandler;
  /** Runs after in-flight work has finished. */
  close?: () => Promise<void>;
}

export interface StageDefinition<C extends StageSettings> {
  name: string;
  /** Reads env settings and the gateway file; throws ConfigError naming the bad key. */
  loadConfig: (source: NodeJS.ProcessEnv) => { settings: C; gateway: GatewayConfig };
  wire: (ctx: StageContext<C>) => Promise<StageWiring>;
}

export function loadStageConfig<C extends StageSettings>(
  read: (source: NodeJS.ProcessEnv) => C,
  source: NodeJS.ProcessEnv,
): { settings: C; gateway: GatewayConfig } {
  const values = read(source);
  return { settings: values, gateway: loadGatewayConfig(values.configPath) };
}

export function runStage<C extends StageSettings>(def: StageDefinition<C>): Promise<void> {
  let gateway: GatewayConfig | undefined;
  return runService<C>({
    name: def.name,
    loadConfig: (source) => {
      const loaded = def.loadConfig(source);
      gateway = loaded.gateway;
      return loaded.settings;
    },
    start: async (ctx) => {
      await ensureStreams(ctx.nats.nc, ctx.config.subjectPrefix);
      const publish = createPublishBatcher(ctx.nats.nc, ctx.log);
      const replies = natsReplySink(publish, ctx.log);
      const wiring = await def.wire({ ...ctx, gateway: gateway!, replies });
      const runner = startStageRunner({
        stage: def.name,
        instance: ctx.instance,
        nc: ctx.nats.nc,
        publish,
        subjects: ctx.subjects,
        log: ctx.log,
        registry: ctx.side.registry,
        maxInFlight: ctx.config.maxInFlight,
        handler: wiring.handler,
        replies,
      });
      return {
        readiness: wiring.readiness,
        stop: async () => {
          await runner.stop();
          await wiring.close?.();
        },
      };
    },
  });
}

/** The event publisher of a service, with its outbox under the data folder. */
export function serviceEvents(ctx: ServiceContext<BaseSettings>, service: string): EventPublisher {
  return createEventPublisher({
    nc: ctx.nats.nc,
    subjects: ctx.subjects,
    log: ctx.log,
    connected: () => ctx.nats.connected(),
    outboxDir: join(ctx.config.dataDir, "outbox", service),
    registry: ctx.side.registry,
  });
}

// What another door needs to send requests down the pipeline exactly as ingress does: the
// orchestrator's batch and chain activities are clients of the pipeline like the HTTP and gRPC
// doors, with the same validation, key checks, envelope and usage event (docs/batches.md).
import {
  buildCatalog,
  createPublishBatcher,
  type EventPublisher,
  type GatewayConfig,
  type Logger,
  type Subjects,
} from "@switchyard/common";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Registry } from "prom-client";
import { createGateway, type Gateway } from "./gateway.js";
import { createKeyStore, type KeyStore } from "./keys.js";
import { createPipelineClient } from "./pipeline-client.js";
import { createStageHistogram, lossCounter } from "./timing.js";

export type { Answer, CallOptions, Gateway } from "./gateway.js";
export type { KeyStore } from "./keys.js";
export { parseChatBody, parseEmbedBody } from "./openai-request.js";
export { chatResponseJson, embedResponseJson } from "./openai-response.js";

export interface PipelineDoor {
  gateway: Gateway;
  keys: KeyStore;
  close(): Promise<void>;
}

export function openPipelineDoor(deps: {
  nc: NatsConnection;
  subjects: Subjects;
  log: Logger;
  events: EventPublisher;
  registry: Registry;
  gateway: GatewayConfig;
  instance: string;
  connected: () => boolean;
  onReconnect: (fn: () => void) => void;
  maxInFlight: number;
  defaultTimeoutMs: number;
  maxTimeoutMs: number;
}): PipelineDoor {
  const client = createPipelineClient({
    nc: deps.nc,
    publish: createPublishBatcher(deps.nc, deps.log),
    subjects: deps.subjects,
    instanceId: `${process.pid}x${Math.random().toString(36).slice(2, 8)}`,
    maxInFlight: deps.maxInFlight,
    inline: new Map(),
    events: deps.events,
    connected: deps.connected,
    onLoss: lossCounter(deps.registry),
  });
  const keys = createKeyStore({
    nc: deps.nc,
    subjects: deps.subjects,
    log: deps.log,
    onReconnect: deps.onReconnect,
  });
  const gateway = createGateway({
    client,
    keys,
    catalog: buildCatalog(deps.gateway),
    inlineStages: new Set(),
    instance: deps.instance,
    defaultTimeoutMs: deps.defaultTimeoutMs,
    defaultOutputTokens: deps.gateway.limits.default_output_tokens,
    maxTimeoutMs: deps.maxTimeoutMs,
    onTimings: createStageHistogram(deps.registry),
  });
  return {
    gateway,
    keys,
    async close() {
      await client.close();
      await keys.close();
    },
  };
}

// The JetStream streams of the pipeline, declared once. ensureStreams is idempotent and runs at
// service start (never on the request path). Events are published by event-publisher.ts.
import { AckPolicy, jetstreamManager, jetstream, type Consumer } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";

/** Stream names carry the subject prefix, so two deployments can share one NATS. */
export function eventsStreamName(prefix: string): string {
  return `${prefix.replace(/[^A-Za-z0-9]/g, "_").toUpperCase()}_EVENTS`;
}

export async function ensureStreams(nc: NatsConnection, prefix: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const name = eventsStreamName(prefix);
  const config = {
    name,
    subjects: [`${prefix}.v1.events.>`],
    // Request ids de-duplicate re-published events inside this window.
    duplicate_window: 2 * 60 * 1_000_000_000,
    max_age: 7 * 24 * 3600 * 1_000_000_000,
  };
  try {
    await jsm.streams.info(name);
    await jsm.streams.update(name, config);
  } catch {
    await jsm.streams.add(config);
  }
}

/**
 * A durable, explicitly acked consumer of usage events, named after the service that reads them
 * (meter settles, analytics stores). Idempotent.
 */
export async function usageConsumer(nc: NatsConnection, prefix: string, durable: string): Promise<Consumer> {
  const jsm = await jetstreamManager(nc);
  const stream = eventsStreamName(prefix);
  const config = {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    filter_subject: `${prefix}.v1.events.usage`,
    ack_wait: 30 * 1_000_000_000,
    max_deliver: 20,
  };
  try {
    await jsm.consumers.info(stream, durable);
  } catch {
    await jsm.consumers.add(stream, config);
  }
  return jetstream(nc).consumers.get(stream, durable);
}

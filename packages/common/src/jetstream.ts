// The JetStream streams of the pipeline, declared once. ensureStreams is idempotent and runs at
// service start (never on the request path).
import {
  AckPolicy,
  jetstreamManager,
  jetstream,
  type Consumer,
  type JetStreamClient,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { create, toBinary } from "@bufbuild/protobuf";
import { UsageEventSchema, type UsageEvent } from "@switchyard/proto";
import type { Logger } from "./logging.js";
import type { Subjects } from "./subjects.js";

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

export interface EventPublisher {
  /** Publishes a usage event with the request id as Nats-Msg-Id; failures are logged, not thrown. */
  usage(event: Parameters<typeof create<typeof UsageEventSchema>>[1]): void;
}

const PUBLISH_ATTEMPTS = 6;

export function createEventPublisher(nc: NatsConnection, subjects: Subjects, log: Logger): EventPublisher {
  const js: JetStreamClient = jetstream(nc);
  // Off the request path: retried with backoff through short NATS outages; the request id as
  // Nats-Msg-Id makes a retry of an event the server did store harmless.
  async function publish(data: Uint8Array, requestId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await js.publish(subjects.usageEvents, data, { msgID: requestId });
        return;
      } catch (err) {
        if (attempt >= PUBLISH_ATTEMPTS || nc.isClosed()) {
          log.error({ err, requestId }, "usage event not published");
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
  }
  return {
    usage(init) {
      const event: UsageEvent = create(UsageEventSchema, init);
      void publish(toBinary(UsageEventSchema, event), event.requestId);
    },
  };
}

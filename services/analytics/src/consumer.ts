// The analytics consumer of the events stream: one durable pull consumer named `analytics`,
// shared by every analytics replica (each pulls its own messages), explicit acks, on usage,
// guard verdict and door-rejection subjects. Messages are redelivered without limit: analytics
// never gives up on an event because ClickHouse was away (an undecodable one is terminated).
import { AckPolicy, DeliverPolicy, jetstreamManager, type ConsumerConfig } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { eventsStreamName, subjects } from "@switchyard/common";

export const ANALYTICS_CONSUMER = "analytics";

/** The subjects analytics reads, by what they carry. */
export interface EventSubjects {
  usage: string;
  guard: string;
  rejected: string;
}

export function eventSubjects(prefix: string): EventSubjects {
  const s = subjects(prefix);
  return { usage: s.usageEvents, guard: s.guardVerdicts, rejected: s.rejectedEvents };
}

export const DEFAULT_ACK_WAIT_MS = 30_000;

export function analyticsConsumerConfig(
  prefix: string,
  ackWaitMs: number = DEFAULT_ACK_WAIT_MS,
): Partial<ConsumerConfig> & { durable_name: string } {
  const s = eventSubjects(prefix);
  return {
    durable_name: ANALYTICS_CONSUMER,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subjects: [s.usage, s.guard, s.rejected],
    ack_wait: ackWaitMs * 1_000_000,
    max_deliver: -1,
    max_ack_pending: 10_000,
  };
}

/** Creates the consumer, or brings an existing one's settings up to date. Idempotent. */
export async function ensureAnalyticsConsumer(
  nc: NatsConnection,
  prefix: string,
  ackWaitMs: number = DEFAULT_ACK_WAIT_MS,
): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const stream = eventsStreamName(prefix);
  const config = analyticsConsumerConfig(prefix, ackWaitMs);
  let exists = true;
  try {
    await jsm.consumers.info(stream, ANALYTICS_CONSUMER);
  } catch {
    exists = false;
  }
  if (!exists) {
    try {
      await jsm.consumers.add(stream, config);
      return;
    } catch {
      // Another replica created it first: update below.
    }
  }
  const { durable_name: _name, deliver_policy: _policy, ack_policy: _ack, ...updatable } = config;
  await jsm.consumers.update(stream, ANALYTICS_CONSUMER, updatable);
}

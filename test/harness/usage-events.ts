// Reads every usage event a test's pipeline published, straight from JetStream (unpacking the
// batches they are published in).
import { fromBinary } from "@bufbuild/protobuf";
import { DeliverPolicy, jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { eventsStreamName } from "@switchyard/common";
import { UsageEventBatchSchema, type UsageEvent } from "@switchyard/proto";

export async function readUsageEvents(nc: NatsConnection, prefix: string): Promise<UsageEvent[]> {
  const js = jetstream(nc);
  const consumer = await js.consumers.get(eventsStreamName(prefix), {
    filter_subjects: [`${prefix}.v1.events.usage`],
    deliver_policy: DeliverPolicy.All,
  });
  const out: UsageEvent[] = [];
  for (;;) {
    const batch = await consumer.fetch({ max_messages: 500, expires: 1000 });
    let n = 0;
    for await (const m of batch) {
      out.push(...fromBinary(UsageEventBatchSchema, m.data).events);
      n++;
    }
    if (n === 0) return out;
  }
}

/**
 * The usage events of `requestIds`, once every one of them has at least one in the stream
 * (events are published in batches, asynchronously); fails after `timeoutMs`.
 */
export async function waitForUsageEvents(
  nc: NatsConnection,
  prefix: string,
  requestIds: readonly string[],
  timeoutMs = 10_000,
): Promise<UsageEvent[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const events = await readUsageEvents(nc, prefix);
    const seen = new Set(events.map((e) => e.requestId));
    const missing = requestIds.filter((id) => !seen.has(id));
    if (missing.length === 0) return events;
    if (Date.now() > until)
      throw new Error(
        `no usage event for ${missing.length} requests, e.g. ${missing.slice(0, 3).join(", ")}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

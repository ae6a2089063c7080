// Reads every usage event a deployment published, straight from JetStream (unpacking the
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

// Reads every usage event a test's pipeline published, straight from JetStream.
import { fromBinary } from "@bufbuild/protobuf";
import { DeliverPolicy, jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { eventsStreamName } from "@switchyard/common";
import { UsageEventSchema, type UsageEvent } from "@switchyard/proto";

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
      out.push(fromBinary(UsageEventSchema, m.data));
      n++;
    }
    if (n === 0) return out;
  }
}

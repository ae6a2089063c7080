// Reads every usage event (or guard verdict) a deployment published, straight from JetStream
// (unpacking the batches they are published in).
import { fromBinary } from "@bufbuild/protobuf";
import { DeliverPolicy, jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { eventsStreamName } from "@switchyard/common";
import {
  GuardVerdictBatchSchema,
  UsageEventBatchSchema,
  type GuardVerdict,
  type UsageEvent,
} from "@switchyard/proto";

export function readUsageEvents(nc: NatsConnection, prefix: string): Promise<UsageEvent[]> {
  return readBatches(
    nc,
    `${prefix}.v1.events.usage`,
    prefix,
    (data) => fromBinary(UsageEventBatchSchema, data).events,
  );
}

/** Every guard verdict the deployment published. */
export function readGuardVerdicts(nc: NatsConnection, prefix: string): Promise<GuardVerdict[]> {
  return readBatches(
    nc,
    `${prefix}.v1.events.guard`,
    prefix,
    (data) => fromBinary(GuardVerdictBatchSchema, data).verdicts,
  );
}

async function readBatches<T>(
  nc: NatsConnection,
  subject: string,
  prefix: string,
  unpack: (data: Uint8Array) => T[],
): Promise<T[]> {
  const js = jetstream(nc);
  const consumer = await js.consumers.get(eventsStreamName(prefix), {
    filter_subjects: [subject],
    deliver_policy: DeliverPolicy.All,
  });
  const out: T[] = [];
  for (;;) {
    const batch = await consumer.fetch({ max_messages: 500, expires: 1000 });
    let n = 0;
    for await (const m of batch) {
      out.push(...unpack(m.data));
      n++;
    }
    if (n === 0) return out;
  }
}

// The usage events a test's pipeline published, read straight from JetStream.
import type { NatsConnection } from "@nats-io/transport-node";
import type { UsageEvent } from "@switchyard/proto";
import { readUsageEvents } from "@switchyard/reliability/usage-events";

export { readUsageEvents };

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

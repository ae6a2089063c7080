// Core NATS publishes gathered per turn of the event loop. nats.js writes its buffer to the
// socket at the end of the current microtask run, so messages published from different
// callbacks (answers to upstream responses that arrive on different sockets, say) each cost a
// socket write; published together from one setImmediate they share one. On this 2-core VM a
// write was a fifth of a busy stage's CPU.
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "./logging.js";

export type Publish = (subject: string, data: Uint8Array) => void;

export function createPublishBatcher(nc: NatsConnection, log: Logger): Publish {
  let queue: { subject: string; data: Uint8Array }[] = [];
  const flush = (): void => {
    const batch = queue;
    queue = [];
    for (const { subject, data } of batch) {
      try {
        nc.publish(subject, data);
      } catch (err) {
        // A closed connection: ingress's deadline answers the client.
        log.warn({ err, subject }, "could not publish");
      }
    }
  };
  return (subject, data) => {
    // Too large for the server is the caller's error to answer, so it is thrown now.
    const max = nc.info?.max_payload;
    if (max !== undefined && data.length + subject.length > max)
      throw new Error(`payload of ${data.length} bytes: max_payload size exceeded`);
    if (queue.push({ subject, data }) === 1) setImmediate(flush);
  };
}

// Client cancels reach every provider replica on one wildcard subscription; the replica that
// holds the request aborts its upstream call.
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Subjects } from "@switchyard/common";

export interface Cancellations {
  /** A signal that fires on the request's cancel or its deadline; call release() when done. */
  track(requestId: string, deadline: AbortSignal): { signal: AbortSignal; release(): void };
  close(): Promise<void>;
}

export function createCancellations(nc: NatsConnection, subjects: Subjects): Cancellations {
  const live = new Map<string, AbortController>();
  const prefix = subjects.cancel("");
  const sub: Subscription = nc.subscribe(subjects.cancel("*"), {
    callback: (err, msg) => {
      if (err) return;
      live
        .get(msg.subject.slice(prefix.length))
        ?.abort(new DOMException("the client cancelled the request", "AbortError"));
    },
  });
  return {
    track(requestId, deadline) {
      const controller = new AbortController();
      live.set(requestId, controller);
      return {
        signal: AbortSignal.any([controller.signal, deadline]),
        release: () => void live.delete(requestId),
      };
    },
    close: () => sub.drain(),
  };
}

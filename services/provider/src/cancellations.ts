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
      // One controller that the cancel or the deadline aborts (cheaper than AbortSignal.any,
      // which this path paid on every request).
      const controller = new AbortController();
      const onDeadline = (): void => controller.abort(deadline.reason);
      if (deadline.aborted) onDeadline();
      else deadline.addEventListener("abort", onDeadline, { once: true });
      live.set(requestId, controller);
      return {
        signal: controller.signal,
        release: () => {
          live.delete(requestId);
          deadline.removeEventListener("abort", onDeadline);
        },
      };
    },
    close: () => sub.drain(),
  };
}

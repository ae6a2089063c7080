// One request of the orchestrator's through the pipeline, waiting rather than failing: a
// request refused for a rate limit, or shed by a full stage, waits (Retry-After, else a pause
// doubling from 250 ms to 10 s) and tries again under `<id>-w<n>`, because the refusal was
// itself an event under the first id and settlement counts a request id once (docs/batches.md,
// "Billing once"). Batch lines and chain steps both call the pipeline this way.
import { GatewayError, NO_USAGE, type BatchUsage } from "@switchyard/common";
import type { Usage } from "@switchyard/proto";

/** Refusals a request waits through before its error is its result. */
const MAX_WAITS = 60;
const FIRST_PAUSE_MS = 250;
const LONGEST_PAUSE_MS = 10_000;

/** Refusals that mean "not now" rather than "no": the request waits and tries again. */
function waitable(err: GatewayError): boolean {
  return err.code === "rate_limited" || (err.code === "unavailable" && err.stage !== "provider");
}

export function usageOf(u: Usage | undefined): BatchUsage {
  if (u === undefined) return NO_USAGE;
  return {
    inputTokens: u.promptTokens,
    cachedTokens: u.cachedTokens,
    outputTokens: u.completionTokens,
    reasoningTokens: u.reasoningTokens,
  };
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(done, ms);
    function done(): void {
      signal.removeEventListener("abort", abort);
      resolve();
    }
    function abort(): void {
      clearTimeout(timer);
      reject(signal.reason as Error);
    }
    signal.addEventListener("abort", abort, { once: true });
  });
}

export interface WaitingCall<T> {
  /** The request id of the first try. */
  requestId: string;
  signal: AbortSignal;
  /** Refusals already waited through (kept across retries of the activity). */
  waits?: number;
  onWait?: (waits: number) => void;
  /** Sends the request under this id. */
  send: (requestId: string) => Promise<T>;
}

/**
 * The answer, or the GatewayError the request ended with (a refusal past the waits included)
 * together with the id it ran under; rejects only when `signal` aborts.
 */
export async function callWaiting<T>(
  call: WaitingCall<T>,
): Promise<{ requestId: string } & ({ answer: T } | { error: GatewayError })> {
  let waits = call.waits ?? 0;
  for (;;) {
    const requestId = waits === 0 ? call.requestId : `${call.requestId}-w${waits}`;
    try {
      return { requestId, answer: await call.send(requestId) };
    } catch (err) {
      if (call.signal.aborted) throw call.signal.reason as Error;
      const e = GatewayError.from(err);
      if (!waitable(e) || waits >= MAX_WAITS) return { requestId, error: e };
      waits++;
      call.onWait?.(waits);
      const backoff = Math.min(LONGEST_PAUSE_MS, FIRST_PAUSE_MS * 2 ** Math.min(waits, 6));
      await pause(e.retryAfterMs > 0 ? e.retryAfterMs : backoff, call.signal);
    }
  }
}

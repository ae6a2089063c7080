// Whether a failed upstream call is tried again on the same deployment, and after how long: the
// route's retry policy (the alias's `retry` in the gateway file), the upstream's Retry-After and
// the request's deadline. Exponential backoff with full jitter: before retry n (from 0) a random
// wait below min(max_ms, base_ms × 2^n), so replicas that failed together do not retry together.
import type { RetryPolicy } from "@switchyard/proto";

export type RetryDecision =
  | { retry: true; waitMs: number }
  | {
      retry: false;
      /**
       * none: the alias retries nothing; exhausted: every retry was made; retry_after: the
       * upstream asked for a wait past max_ms; deadline: the wait would end past the deadline.
       */
      reason: "none" | "exhausted" | "retry_after" | "deadline";
    };

export interface RetryInput {
  policy: RetryPolicy | undefined;
  /** Retries already made on this deployment. */
  retried: number;
  /** The upstream's Retry-After in ms; 0 when it sent none. */
  retryAfterMs: number;
  /** Time left until the request's deadline, ms. */
  msLeft: number;
  /** The jitter's source, a number in [0, 1). */
  random?: () => number;
}

/** Decides the next step after a retryable failure, before anything reached the client. */
export function decideRetry(input: RetryInput): RetryDecision {
  const p = input.policy;
  if (p === undefined || p.attempts === 0) return { retry: false, reason: "none" };
  if (input.retried >= p.attempts) return { retry: false, reason: "exhausted" };
  // A Retry-After longer than the alias will ever wait: another deployment is the better bet.
  if (input.retryAfterMs > p.maxMs) return { retry: false, reason: "retry_after" };
  const ceiling = Math.min(p.maxMs, p.baseMs * 2 ** input.retried);
  const backoff = Math.floor((input.random ?? Math.random)() * ceiling);
  const waitMs = Math.max(backoff, input.retryAfterMs);
  // Waiting into the deadline would only turn the failure into a timeout.
  if (waitMs >= input.msLeft) return { retry: false, reason: "deadline" };
  return { retry: true, waitMs };
}

// The x-ratelimit-* headers OpenAI sends, from what the meter admitted the request under: the
// tightest request and token limits that apply to it, what is left of them, and when they are
// back to full. Clients (the OpenAI SDKs, LangChain, LiteLLM) read these to pace themselves.
// Requests under no limit get none.
import type { Admission, RateLimitStatus } from "@switchyard/proto";

/** A duration as OpenAI writes it: "20ms", "1s", "6m0s", "1h0m0s", "1.5s". */
export function durationText(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Number(((ms % 60_000) / 1000).toFixed(3));
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

function add(out: Record<string, string>, what: string, s: RateLimitStatus | undefined): void {
  if (s === undefined || s.limit === 0) return;
  out[`x-ratelimit-limit-${what}`] = String(s.limit);
  out[`x-ratelimit-remaining-${what}`] = String(s.remaining);
  out[`x-ratelimit-reset-${what}`] = durationText(s.resetMs);
}

export function rateLimitHeaders(admission: Admission | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (admission === undefined) return out;
  add(out, "requests", admission.requests);
  add(out, "tokens", admission.tokens);
  return out;
}

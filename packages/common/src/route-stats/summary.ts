// What the router weighs a deployment by: every provider replica's recent record of it
// (DeploymentWindow) merged into one summary. Pure, so the arithmetic is tested on its own.
import { AttemptResult, type DeploymentWindow } from "@switchyard/proto";

/** Latency percentiles and error rates look this far back. */
export const STATS_WINDOW_MS = 10_000;
/** A replica's record older than this is a replica that stopped: it no longer counts. */
export const STALE_AFTER_MS = 30_000;
/** Samples are kept this long, for what a deployment was like when it was last used. */
export const HISTORY_MS = 300_000;
/** Below this many answered attempts in the window, a deployment's latency is unknown. */
export const MIN_SAMPLES = 5;
/** The decayed mean halves a sample's weight every this many ms, so it follows change quickly. */
const HALF_LIFE_MS = 2_000;

export interface DeploymentStats {
  /** Answered attempts in the window (the latency figures' basis). */
  samples: number;
  /** Percentiles of answered attempts' latency in the window; NaN when unknown. */
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Time-decayed mean latency; NaN when unknown. */
  decayedMs: number;
  /**
   * p95 and mean latency over every sample kept (the last few minutes): what the deployment was
   * like when last used, for when nothing went to it lately; NaN with fewer than MIN_SAMPLES.
   */
  historyP95Ms: number;
  historyMs: number;
  /** Time-decayed mean time to first token of streams; NaN when no stream answered. */
  decayedTtftMs: number;
  /** p95 of streams' time to first token in the window; NaN with fewer than MIN_SAMPLES. */
  ttftP95Ms: number;
  /** Attempts in the window, and those that failed (the deployment's fault) or got a 429. */
  attempts: number;
  failed: number;
  throttled: number;
  /** (failed + throttled) / attempts; 0 with no attempts. */
  errorRate: number;
  /** Upstream calls in progress, summed over the replicas. */
  inFlight: number;
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Attempts per outcome since `fromMs`, from the replicas' per-second counts. */
export function countsSince(
  windows: Iterable<DeploymentWindow>,
  fromMs: number,
): { ok: number; failed: number; throttled: number } {
  const fromSecond = BigInt(Math.floor(fromMs / 1000));
  const out = { ok: 0, failed: 0, throttled: 0 };
  for (const w of windows)
    for (const s of w.seconds) {
      if (s.second < fromSecond) continue;
      out.ok += s.ok;
      out.failed += s.failed;
      out.throttled += s.throttled;
    }
  return out;
}

/** Attempts per outcome at or after `fromMs`, from the replicas' samples (exact times). */
export function samplesSince(
  windows: Iterable<DeploymentWindow>,
  fromMs: number,
): { ok: number; failed: number } {
  const from = BigInt(fromMs);
  const out = { ok: 0, failed: 0 };
  for (const w of windows)
    for (const s of w.samples) {
      if (s.atUnixMs < from) continue;
      if (s.result === AttemptResult.OK) out.ok++;
      else if (s.result === AttemptResult.FAILED) out.failed++;
    }
  return out;
}

/** Only the records of replicas still writing. */
export function liveWindows(windows: Iterable<DeploymentWindow>, now: number): DeploymentWindow[] {
  const since = BigInt(now - STALE_AFTER_MS);
  return [...windows].filter((w) => w.atUnixMs >= since);
}

export function summarize(windows: readonly DeploymentWindow[], now: number): DeploymentStats {
  const from = now - STATS_WINDOW_MS;
  const latencies: number[] = [];
  const history: number[] = [];
  const ttfts: number[] = [];
  let weight = 0;
  let weighted = 0;
  let ttftWeight = 0;
  let ttftWeighted = 0;
  let inFlight = 0;
  for (const w of windows) {
    inFlight += w.inFlight;
    for (const s of w.samples) {
      if (s.result !== AttemptResult.OK) continue;
      history.push(s.latencyMs);
      const at = Number(s.atUnixMs);
      if (at < from) continue;
      latencies.push(s.latencyMs);
      const k = 2 ** (-Math.max(0, now - at) / HALF_LIFE_MS);
      weight += k;
      weighted += k * s.latencyMs;
      if (s.ttftMs > 0) {
        ttfts.push(s.ttftMs);
        ttftWeight += k;
        ttftWeighted += k * s.ttftMs;
      }
    }
  }
  latencies.sort((a, b) => a - b);
  history.sort((a, b) => a - b);
  ttfts.sort((a, b) => a - b);
  const known = latencies.length >= MIN_SAMPLES;
  const remembered = history.length >= MIN_SAMPLES;
  const c = countsSince(windows, from);
  const attempts = c.ok + c.failed + c.throttled;
  return {
    samples: latencies.length,
    p50Ms: known ? percentile(latencies, 0.5) : Number.NaN,
    p95Ms: known ? percentile(latencies, 0.95) : Number.NaN,
    p99Ms: known ? percentile(latencies, 0.99) : Number.NaN,
    decayedMs: known ? weighted / weight : Number.NaN,
    historyP95Ms: remembered ? percentile(history, 0.95) : Number.NaN,
    historyMs: remembered ? history.reduce((a, b) => a + b, 0) / history.length : Number.NaN,
    decayedTtftMs: ttftWeight > 0 ? ttftWeighted / ttftWeight : Number.NaN,
    ttftP95Ms: ttfts.length >= MIN_SAMPLES ? percentile(ttfts, 0.95) : Number.NaN,
    attempts,
    failed: c.failed,
    throttled: c.throttled,
    errorRate: attempts === 0 ? 0 : (c.failed + c.throttled) / attempts,
    inFlight,
  };
}

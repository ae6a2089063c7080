// How long the mock waits before answering: `latency`, plus, with `jitter`, an exponential
// random delay of that mean — most answers a little late, a few very late, as real upstreams.
import type { MockControls } from "./types.js";

/** ms before the first byte; `random` in [0, 1) (Math.random, or a fixed one in specs). */
export function answerDelayMs(c: MockControls, random: () => number = Math.random): number {
  const base = c.latency ?? 0;
  const mean = c.jitter ?? 0;
  if (mean <= 0) return base;
  // Inverse of the exponential CDF; 1 - u is in (0, 1], so the log is finite.
  return base - mean * Math.log(1 - random());
}

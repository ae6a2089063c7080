// Percentiles over raw samples (autocannon's own histogram keeps whole milliseconds; added
// latency here is sub-millisecond, so raw response times are kept instead).
export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  n: number;
}

export function percentiles(samples: number[]): Percentiles {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s[s.length - 1] ?? 0, mean, n: s.length };
}

export function minus(a: Percentiles, floor: Percentiles): Percentiles {
  return {
    p50: a.p50 - floor.p50,
    p90: a.p90 - floor.p90,
    p99: a.p99 - floor.p99,
    max: a.max - floor.max,
    mean: a.mean - floor.mean,
    n: a.n,
  };
}

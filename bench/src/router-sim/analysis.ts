// What a policy's run showed, from its samples alone: cost, latency and errors as the client saw
// them, and per 1-s bin which deployment served the traffic — so how fast the policy left a
// degraded deployment and how fast it came back to it after recovery.
import { percentiles } from "../stats.js";
import type { Sample } from "./load.js";
import { deploymentById, type Timeline } from "./scenario.js";

/** Requests sent in one second of the run. */
export interface Bin {
  second: number;
  requests: number;
  /** Requests per deployment that answered them (x-switchyard-deployment). */
  byDeployment: Record<string, number>;
  /** Requests that did not end in a 200. */
  errors: number;
  /** Median latency (ms) of the bin's requests; undefined for an empty bin. */
  p50: number | undefined;
}

/** Window after the failure starts in which client errors are counted. */
export const FAIL_WINDOW_S = 10;
/** The degraded deployment has left once its share stays below this. */
export const LEFT_BELOW = 0.1;
/** The target for traffic's return after recovery. */
export const BACK_WITHIN_S = 30;
/** Seconds at the end of phase 1 that say which deployment the policy prefers. */
export const PREFERENCE_WINDOW_S = 5;

export function secondBins(samples: readonly Sample[], seconds: number): Bin[] {
  const bins: Bin[] = Array.from({ length: seconds }, (_, second) => ({
    second,
    requests: 0,
    byDeployment: {},
    errors: 0,
    p50: undefined,
  }));
  const latencies: number[][] = bins.map(() => []);
  for (const s of samples) {
    const i = Math.floor(s.t / 1000);
    const bin = bins[i];
    if (bin === undefined) continue;
    bin.requests++;
    if (s.status !== 200) bin.errors++;
    if (s.deployment !== undefined)
      bin.byDeployment[s.deployment] = (bin.byDeployment[s.deployment] ?? 0) + 1;
    latencies[i]?.push(s.ms);
  }
  bins.forEach((b, i) => {
    if (b.requests > 0) b.p50 = percentiles(latencies[i] ?? []).p50;
  });
  return bins;
}

/** The deployment's share of the bin's requests; undefined for an empty bin. */
export function binShare(bin: Bin, id: string): number | undefined {
  return bin.requests === 0 ? undefined : (bin.byDeployment[id] ?? 0) / bin.requests;
}

/** Each deployment's share of the requests sent in [fromS, toS). */
export function sharesIn(samples: readonly Sample[], fromS: number, toS: number): Record<string, number> {
  const inWindow = samples.filter((s) => s.t >= fromS * 1000 && s.t < toS * 1000);
  const out: Record<string, number> = {};
  for (const s of inWindow) if (s.deployment !== undefined) out[s.deployment] = (out[s.deployment] ?? 0) + 1;
  for (const k of Object.keys(out)) out[k] = (out[k] ?? 0) / inWindow.length;
  return out;
}

/** The deployment with the largest share of [fromS, toS), if any request was served. */
export function preferredIn(samples: readonly Sample[], fromS: number, toS: number): string | undefined {
  const shares = Object.entries(sharesIn(samples, fromS, toS)).sort((a, b) => b[1] - a[1]);
  return shares[0]?.[0];
}

/**
 * Seconds from `fromS` to the first bin from which the deployment's share stays below `below`
 * in every non-empty bin up to `untilS`; undefined when it never does.
 */
export function leaveSeconds(
  bins: readonly Bin[],
  id: string,
  fromS: number,
  untilS: number,
  below = LEFT_BELOW,
): number | undefined {
  let first: number | undefined;
  for (let k = untilS - 1; k >= fromS; k--) {
    const bin = bins[k];
    if (bin === undefined) continue;
    const share = binShare(bin, id);
    if (share !== undefined && share >= below) break;
    first = k;
  }
  return first === undefined ? undefined : first - fromS;
}

/** Seconds from `fromS` to the first bin before `untilS` where the share is at least `atLeast`. */
export function backSeconds(
  bins: readonly Bin[],
  id: string,
  fromS: number,
  untilS: number,
  atLeast: number,
): number | undefined {
  for (let k = fromS; k < untilS; k++) {
    const bin = bins[k];
    const share = bin === undefined ? undefined : binShare(bin, id);
    if (share !== undefined && share >= atLeast) return k - fromS;
  }
  return undefined;
}

/** USD of one answered request at the prices of the deployment that served it. */
export function sampleCostUsd(s: Sample): number {
  const d = s.deployment === undefined ? undefined : deploymentById(s.deployment);
  if (d === undefined || s.status !== 200) return 0;
  return (s.promptTokens * d.inputUsdPerMtok + s.completionTokens * d.outputUsdPerMtok) / 1e6;
}

export interface PolicyResult {
  policy: string;
  /** The deployment made slow, then failing, then healthy again. */
  degraded: string | undefined;
  requests: number;
  /** USD per 1,000 requests sent (a failed request costs nothing). */
  costPer1k: number;
  p50: number;
  p99: number;
  /** Share of requests that did not end in a 200 at the client. */
  errorRate: number;
  /** Requests sent in the FAIL_WINDOW_S after the failure began, and those that failed. */
  failWindow: { requests: number; errors: number };
  /** The degraded deployment's share at the end of phase 1. */
  phase1Share: number;
  leaveAfterSlowS: number | undefined;
  leaveAfterFailS: number | undefined;
  backAfterRecoveryS: number | undefined;
  /** Share of the whole run per deployment. */
  shares: Record<string, number>;
  bins: Bin[];
}

export function summarize(
  policy: string,
  samples: readonly Sample[],
  tl: Timeline,
  degraded: string | undefined,
): PolicyResult {
  const bins = secondBins(samples, tl.seconds);
  const inRun = samples.filter((s) => s.t < tl.seconds * 1000);
  const lat = percentiles(inRun.map((s) => s.ms));
  const failWindow = inRun.filter((s) => s.t >= tl.failAt * 1000 && s.t < (tl.failAt + FAIL_WINDOW_S) * 1000);
  const phase1Share =
    degraded === undefined
      ? 0
      : (sharesIn(inRun, Math.max(0, tl.slowAt - PREFERENCE_WINDOW_S), tl.slowAt)[degraded] ?? 0);
  const cost = inRun.reduce((sum, s) => sum + sampleCostUsd(s), 0);
  return {
    policy,
    degraded,
    requests: inRun.length,
    costPer1k: inRun.length === 0 ? 0 : (cost / inRun.length) * 1000,
    p50: lat.p50,
    p99: lat.p99,
    errorRate: inRun.length === 0 ? 0 : inRun.filter((s) => s.status !== 200).length / inRun.length,
    failWindow: { requests: failWindow.length, errors: failWindow.filter((s) => s.status !== 200).length },
    phase1Share,
    leaveAfterSlowS:
      degraded === undefined ? undefined : leaveSeconds(bins, degraded, tl.slowAt, tl.recoverAt),
    leaveAfterFailS:
      degraded === undefined ? undefined : leaveSeconds(bins, degraded, tl.failAt, tl.recoverAt),
    backAfterRecoveryS:
      degraded === undefined || phase1Share === 0
        ? undefined
        : backSeconds(bins, degraded, tl.recoverAt, tl.seconds, phase1Share / 2),
    shares: sharesIn(inRun, 0, tl.seconds),
    bins,
  };
}

export interface TargetCheck {
  target: string;
  measured: string;
  /** undefined when the policies it compares were not run. */
  pass: boolean | undefined;
}

/** The targets, read on the `cheapest` policy (against `pinned` for cost and p99). */
export function checkTargets(results: readonly PolicyResult[], tl: Timeline): TargetCheck[] {
  const cheapest = results.find((r) => r.policy === "cheapest");
  const pinned = results.find((r) => r.policy === "pinned");
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  const signed = (x: number): string => `${x >= 0 ? "+" : "−"}${Math.abs(x * 100).toFixed(0)}%`;
  const checks: TargetCheck[] = [];

  const cost = "cheapest: ≥ 40% lower cost per 1,000 requests than pinned, at p99 ≤ 10% worse";
  if (cheapest && pinned && pinned.costPer1k > 0 && pinned.p99 > 0) {
    const dCost = cheapest.costPer1k / pinned.costPer1k - 1;
    const dP99 = cheapest.p99 / pinned.p99 - 1;
    checks.push({
      target: cost,
      measured: `cost ${signed(dCost)} ($${cheapest.costPer1k.toFixed(4)} vs $${pinned.costPer1k.toFixed(4)}), p99 ${signed(dP99)} (${cheapest.p99.toFixed(0)} vs ${pinned.p99.toFixed(0)} ms)`,
      pass: dCost <= -0.4 && dP99 <= 0.1,
    });
  } else checks.push({ target: cost, measured: "needs the cheapest and pinned runs", pass: undefined });

  const errors = `cheapest: ≤ 1% client errors in the ${FAIL_WINDOW_S} s after the failure began`;
  if (cheapest && cheapest.failWindow.requests > 0) {
    const rate = cheapest.failWindow.errors / cheapest.failWindow.requests;
    checks.push({
      target: errors,
      measured: `${pct(rate)} (${cheapest.failWindow.errors} of ${cheapest.failWindow.requests})`,
      pass: rate <= 0.01,
    });
  } else checks.push({ target: errors, measured: "needs the cheapest run", pass: undefined });

  const back = `cheapest: traffic back within ${BACK_WITHIN_S} s of recovery`;
  if (cheapest) {
    const s = cheapest.backAfterRecoveryS;
    const observed = tl.seconds - tl.recoverAt;
    // Not back in a run that ends sooner than the target says nothing either way.
    const short =
      observed < BACK_WITHIN_S
        ? ` (the run ends ${observed} s after it; SIM_SECONDS ≥ ${Math.ceil(BACK_WITHIN_S / 0.3)} watches ${BACK_WITHIN_S} s)`
        : "";
    checks.push({
      target: back,
      measured: s === undefined ? `not back${short}` : `${s} s`,
      pass: s !== undefined ? s <= BACK_WITHIN_S : short === "" ? false : undefined,
    });
  } else checks.push({ target: back, measured: "needs the cheapest run", pass: undefined });
  return checks;
}

// The five policies, as pure functions of the candidates and their live statistics: each
// orders the healthy candidates (best first), scores them, and says why the first won. Lower
// scores are better except for `weighted`, whose score is the weight.
import type { Candidate, DeploymentStats, ObjectivesConfig, RoutePolicy } from "@switchyard/common";
import type { PriceTable } from "@switchyard/proto";

export interface Weighed {
  candidate: Candidate;
  stats: DeploymentStats;
  /** Requests this router sent it in the last moment, not yet in the replicas' in-flight. */
  pending: number;
}

export interface PolicyInput {
  policy: RoutePolicy;
  weighed: Weighed[];
  objectives: ObjectivesConfig;
  stream: boolean;
  promptTokens: number;
  outputTokens: number;
  /** For sticky `weighted`: the key or end user to keep on one side; empty for none. */
  stickyOn: string;
  /** Uniform in [0, 1): Math.random, or a seeded source in tests. */
  random: () => number;
}

export interface Ordered {
  order: Weighed[];
  scores: Map<Weighed, number>;
  reason: string;
  /** Candidates `cheapest` held outside its objectives. */
  outside?: Set<Weighed>;
}

/** Output tokens a request is priced at when choosing: its cap, but no more than this. */
export const EXPECTED_OUTPUT_TOKENS = 500;

/** USD per 1,000 requests of this size at the deployment's base prices. */
export function costPer1k(
  prices: PriceTable | undefined,
  promptTokens: number,
  outputTokens: number,
): number {
  const base = prices?.base;
  if (base === undefined) return 0;
  const pico =
    Number(base.inputPicoUsd) * promptTokens +
    Number(base.outputPicoUsd) * Math.min(outputTokens, EXPECTED_OUTPUT_TOKENS) +
    Number(prices?.requestPicoUsd ?? 0n);
  return (pico / 1e12) * 1000;
}

/** A stable number in (0, 1) from a string (FNV-1a), for rendezvous hashing. */
function unitHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // MurmurHash3's finaliser, so ids differing in their last character spread over the range.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return ((h >>> 0) + 0.5) / 4294967296;
}

/**
 * Weighted choice by rendezvous hashing: each candidate draws -ln(u)/weight and the smallest
 * wins, which picks each with probability weight/total. Sticky draws u from a hash of the key
 * and the deployment, so a key stays on its side while the weights stand, and only the keys of
 * a deployment that leaves move.
 */
function weighted(input: PolicyInput): Ordered {
  const draws = new Map<Weighed, number>();
  for (const w of input.weighed) {
    const u =
      input.stickyOn === ""
        ? 1 - input.random()
        : unitHash(`${input.stickyOn}\u0000${w.candidate.deployment.id}`);
    draws.set(w, w.candidate.weight > 0 ? -Math.log(u) / w.candidate.weight : Number.POSITIVE_INFINITY);
  }
  const order = [...input.weighed].sort((a, b) => draws.get(a)! - draws.get(b)!);
  const scores = new Map(input.weighed.map((w) => [w, w.candidate.weight]));
  return { order, scores, reason: input.stickyOn === "" ? "weighted draw" : "weighted, sticky" };
}

/**
 * Decayed latency (TTFT for streams when known) times the load on it. Without recent answers, the
 * mean of what it answered in the last minutes; never used at all, 0 — the best, so it is tried.
 */
function loadedLatency(w: Weighed, stream: boolean): number {
  const s = w.stats;
  let ms = stream && Number.isFinite(s.decayedTtftMs) ? s.decayedTtftMs : s.decayedMs;
  if (!Number.isFinite(ms)) ms = Number.isFinite(s.historyMs) ? s.historyMs : 0;
  return ms * (1 + s.inFlight + w.pending);
}

/**
 * Recent p95 (of time to first token for streams, when known), or when nothing answered lately,
 * the p95 of the last minutes; NaN if neither.
 */
function p95Of(w: Weighed, stream: boolean): number {
  const s = w.stats;
  if (stream && Number.isFinite(s.ttftP95Ms)) return s.ttftP95Ms;
  return Number.isFinite(s.p95Ms) ? s.p95Ms : s.historyP95Ms;
}

/** Power of two choices: two at random, the better first; the rest by score. */
function fastest(input: PolicyInput, among: Weighed[] = input.weighed): Ordered {
  const scores = new Map(among.map((w) => [w, loadedLatency(w, input.stream)]));
  const byScore = [...among].sort((a, b) => scores.get(a)! - scores.get(b)!);
  if (among.length < 2) return { order: byScore, scores, reason: "fastest (only candidate)" };
  const i = Math.floor(input.random() * among.length);
  let j = Math.floor(input.random() * (among.length - 1));
  if (j >= i) j++;
  const a = among[i]!;
  const b = among[j]!;
  const first = scores.get(b)! < scores.get(a)! ? b : a;
  return {
    order: [first, ...byScore.filter((w) => w !== first)],
    scores,
    reason: "fastest of two at random",
  };
}

function leastBusy(input: PolicyInput): Ordered {
  // Ties (all idle) go to a random one rather than always the first in config.
  const tie = new Map(input.weighed.map((w) => [w, input.random()]));
  const scores = new Map(input.weighed.map((w) => [w, w.stats.inFlight + w.pending]));
  const order = [...input.weighed].sort(
    (a, b) => scores.get(a)! - scores.get(b)! || tie.get(a)! - tie.get(b)!,
  );
  return { order, scores, reason: "least busy" };
}

/**
 * The cheapest deployment whose recent p95 and error rate are within the objectives. Without
 * recent answers its p95 of the last minutes counts (exploration, in the stage, renews it); a
 * deployment never used counts as within. When none is, the fastest.
 */
function cheapest(input: PolicyInput): Ordered {
  const o = input.objectives;
  const p95s = input.weighed.map((w) => p95Of(w, input.stream)).filter(Number.isFinite);
  const fastestP95 = p95s.length === 0 ? Number.NaN : Math.min(...p95s);
  let limit = Number.isFinite(fastestP95) ? fastestP95 * o.p95_vs_fastest : Number.POSITIVE_INFINITY;
  if (o.p95_ms !== undefined) limit = Math.min(limit, o.p95_ms);
  const within = (w: Weighed): boolean =>
    !(p95Of(w, input.stream) > limit) && !(w.stats.attempts >= 5 && w.stats.errorRate > o.max_error_rate);
  const ok = input.weighed.filter(within);
  const outside = new Set(input.weighed.filter((w) => !within(w)));
  const cost = new Map(
    input.weighed.map((w) => [
      w,
      costPer1k(w.candidate.deployment.prices, input.promptTokens, input.outputTokens),
    ]),
  );
  if (ok.length === 0) {
    const f = fastest(input);
    return { ...f, scores: cost, reason: "no deployment within objectives: fastest", outside };
  }
  const rest = fastest(input, [...outside]).order;
  const order = [...ok.sort((a, b) => cost.get(a)! - cost.get(b)!), ...rest];
  return { order, scores: cost, reason: "cheapest within objectives", outside };
}

export function applyPolicy(input: PolicyInput): Ordered {
  switch (input.policy) {
    case "pinned":
      return {
        order: input.weighed,
        scores: new Map(input.weighed.map((w, i) => [w, i])),
        reason: "pinned order",
      };
    case "weighted":
      return weighted(input);
    case "fastest":
      return fastest(input);
    case "least_busy":
      return leastBusy(input);
    case "cheapest":
      return cheapest(input);
  }
}

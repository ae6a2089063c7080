// Router stage: resolves the model alias, narrows its deployments by the alias's conditions and
// the request's needs (conditions.ts), orders them by the policy from the live statistics every
// replica shares (policies.ts), and puts deployments whose circuit is open or that are cooling
// down after a 429 last. A half-open circuit gets one probe request per second from each router.
// The decision, its scores and its reason travel in the envelope.
import { create } from "@bufbuild/protobuf";
import {
  GatewayError,
  MIN_SAMPLES,
  summarize,
  type Catalog,
  type DeploymentStats,
  type RouteStatsView,
  type StageHandler,
} from "@switchyard/common";
import { CandidateScoreSchema, RequestKind, RouteDecisionSchema, type Envelope } from "@switchyard/proto";
import { narrow } from "./conditions.js";
import { applyPolicy, type Weighed } from "./policies.js";

/**
 * A deployment gets at most one probe per this many ms from each router: a half-open circuit's,
 * or, for the policies that weigh latency, one with too few recent answers to judge (exploring).
 */
const PROBE_EVERY_MS = 1_000;
/** A choice counts as pending load on its deployment for this long (until replicas report it). */
const PENDING_MS = 300;

/** What a deployment nobody has reported on looks like. */
const NO_STATS: DeploymentStats = summarize([], 0);

export interface RouterStageDeps {
  catalog: Catalog;
  /** The shared live statistics; without it every deployment is unknown and healthy. */
  view?: RouteStatsView;
  /** Counts each decision by alias, policy and the deployment put first. */
  decided?: (alias: string, policy: string, deployment: string) => void;
  random?: () => number;
  now?: () => number;
}

export function createRouterStage(deps: RouterStageDeps): StageHandler {
  const random = deps.random ?? Math.random;
  const now = deps.now ?? Date.now;
  const lastProbe = new Map<string, number>();
  /** Takes the deployment's probe slot when it is free. */
  function mayProbe(id: string, t: number): boolean {
    if (t - (lastProbe.get(id) ?? Number.NEGATIVE_INFINITY) < PROBE_EVERY_MS) return false;
    lastProbe.set(id, t);
    return true;
  }
  /** Recent first choices per deployment, as times, for the pending load. */
  const recent = new Map<string, number[]>();

  function pending(id: string, t: number): number {
    const times = recent.get(id);
    if (times === undefined) return 0;
    while (times.length > 0 && times[0]! < t - PENDING_MS) times.shift();
    return times.length;
  }

  function stickyOn(env: Envelope, sticky: "none" | "key" | "end_user"): string {
    if (sticky === "key") return env.keyId;
    if (sticky === "end_user") return env.routeHints?.endUser || env.keyId;
    return "";
  }

  return ({ env }) => {
    const entry = deps.catalog.get(env.model);
    if (entry === undefined) {
      throw new GatewayError("not_found", `the model \`${env.model}\` does not exist`, { field: "model" });
    }
    const wantKind = env.kind === RequestKind.EMBED ? "embedding" : "chat";
    if (entry.kind !== wantKind) {
      throw new GatewayError(
        "invalid_argument",
        `the model \`${env.model}\` is a ${entry.kind} model, not a ${wantKind} model`,
        { field: "model" },
      );
    }
    const t = now();
    const narrowed = narrow(entry, env);
    const view = deps.view;
    const healthy: Weighed[] = [];
    const demoted: { w: Weighed; note: string }[] = [];
    let probe: Weighed | undefined;
    for (const candidate of narrowed.candidates) {
      const id = candidate.deployment.id;
      const w: Weighed = { candidate, stats: view?.stats(id) ?? NO_STATS, pending: pending(id, t) };
      const circuit = view?.circuit(id).phase ?? "closed";
      if (circuit === "open") demoted.push({ w, note: "circuit open" });
      else if ((view?.cooldownUntil(id) ?? 0) > 0) demoted.push({ w, note: "cooling down" });
      else if (circuit === "half_open") {
        if (probe === undefined && mayProbe(id, t)) probe = w;
        else demoted.push({ w, note: "circuit half-open" });
      } else healthy.push(w);
    }
    const ordered = applyPolicy({
      policy: narrowed.policy,
      weighed: healthy,
      objectives: entry.objectives,
      stream: env.stream,
      promptTokens: env.estimatedPromptTokens,
      outputTokens: env.outputCapTokens,
      stickyOn: stickyOn(env, entry.sticky),
      random,
    });
    // Latency policies judge by recent answers: one with too few gets a request now and then, so
    // the fastest stays known and a deployment that recovered is seen to have.
    let explored: Weighed | undefined;
    const weighsLatency = narrowed.policy === "cheapest" || narrowed.policy === "fastest";
    if (view !== undefined && probe === undefined && weighsLatency)
      explored = ordered.order
        .slice(1)
        .find((w) => w.stats.samples < MIN_SAMPLES && mayProbe(w.candidate.deployment.id, t));
    const lead = probe ?? explored;
    const order = [
      ...(lead === undefined ? [] : [lead]),
      ...ordered.order.filter((w) => w !== lead),
      ...demoted.map((d) => d.w),
    ];
    const notes = new Map<Weighed, string>(demoted.map((d) => [d.w, d.note]));
    for (const w of ordered.outside ?? []) notes.set(w, "over objectives");
    if (probe !== undefined) notes.set(probe, "probe");
    if (explored !== undefined) notes.set(explored, "exploring");
    const first = order[0];
    if (first === undefined)
      throw new GatewayError("internal", `the model \`${env.model}\` has no deployments`);
    const firstId = first.candidate.deployment.id;
    let times = recent.get(firstId);
    if (times === undefined) recent.set(firstId, (times = []));
    times.push(t);
    let reason =
      probe !== undefined
        ? "probe of a half-open circuit"
        : explored !== undefined
          ? "exploring: too few recent answers to judge"
          : healthy.length === 0
            ? "every deployment is unhealthy"
            : ordered.reason;
    if (narrowed.route !== "") reason = `route \`${narrowed.route}\`: ${reason}`;
    deps.decided?.(entry.alias, narrowed.policy, firstId);
    env.route = create(RouteDecisionSchema, {
      deployments: order.map((w) => w.candidate.deployment),
      policy: narrowed.policy,
      retry: entry.retry,
      reason,
      candidates: [
        ...order.map((w) =>
          create(CandidateScoreSchema, {
            deployment: w.candidate.deployment.id,
            score: ordered.scores.get(w) ?? 0,
            note: notes.get(w) ?? "",
          }),
        ),
        ...narrowed.dropped.map((d) =>
          create(CandidateScoreSchema, { deployment: d.candidate.deployment.id, note: d.note }),
        ),
      ],
      refusalFallback: entry.refusalFallback,
    });
    return Promise.resolve("next");
  };
}

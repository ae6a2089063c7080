// The routing simulation's world: three deployments of one chat alias, each behind a MOCK
// provider profile with its own latency spread and price, the five policies, the scripted
// timeline (normal → the preferred deployment turns slow → it fails → it recovers), and the
// gateway file's entries for them.

export const POLICIES = ["pinned", "weighted", "fastest", "cheapest", "least_busy"] as const;
export type Policy = (typeof POLICIES)[number];

export const ALIAS = "sim-chat";
/** The mock serves any model named mock-…; the deployments differ in profile and price only. */
const UPSTREAM_MODEL = "mock-gpt";

export interface SimDeployment {
  /** Deployment id (what `x-switchyard-deployment` names) and the mock profile's name. */
  id: string;
  /** The gateway file's provider entry for it. */
  provider: string;
  /** The mock's fixed delay and the mean of its exponential tail (p95 ≈ latency + 3 × jitter). */
  latencyMs: number;
  jitterMs: number;
  inputUsdPerMtok: number;
  outputUsdPerMtok: number;
  /** Share under `weighted`. */
  weight: number;
}

/**
 * p95s at the mock: premium ≈ 80 + 3 × 20 = 140 ms, standard ≈ 200 ms, budget ≈ 245 ms — budget
 * within 2× premium, so `cheapest` (p95_vs_fastest: 2) may use it while it is healthy.
 */
export const DEPLOYMENTS: readonly SimDeployment[] = [
  {
    id: "premium",
    provider: "sim-premium",
    latencyMs: 80,
    jitterMs: 20,
    inputUsdPerMtok: 2.5,
    outputUsdPerMtok: 10,
    weight: 34,
  },
  {
    id: "standard",
    provider: "sim-standard",
    latencyMs: 110,
    jitterMs: 30,
    inputUsdPerMtok: 0.6,
    outputUsdPerMtok: 2.4,
    weight: 33,
  },
  {
    id: "budget",
    provider: "sim-budget",
    latencyMs: 140,
    jitterMs: 35,
    inputUsdPerMtok: 0.15,
    outputUsdPerMtok: 0.6,
    weight: 33,
  },
];

export function deploymentById(id: string): SimDeployment | undefined {
  return DEPLOYMENTS.find((d) => d.id === id);
}

/** The mock controls of each state of a deployment. */
export const CONTROLS = {
  normal: (d: SimDeployment): string => `latency=${d.latencyMs},jitter=${d.jitterMs}`,
  /** The whole distribution four times slower. */
  slow: (d: SimDeployment): string => `latency=${4 * d.latencyMs},jitter=${4 * d.jitterMs}`,
  failing: (): string => "error=500",
};

/** When things happen, in whole seconds from the start of a policy's run. */
export interface Timeline {
  seconds: number;
  slowAt: number;
  failAt: number;
  recoverAt: number;
}

export function timeline(seconds: number): Timeline {
  return {
    seconds,
    slowAt: Math.round(seconds * 0.25),
    failAt: Math.round(seconds * 0.45),
    recoverAt: Math.round(seconds * 0.7),
  };
}

/** One provider entry per deployment, each pointing at its mock profile. */
export function simProviders(mockUrl: string): Record<string, unknown> {
  return Object.fromEntries(
    DEPLOYMENTS.map((d) => [
      d.provider,
      {
        type: "openai",
        base_url: `${mockUrl}/_mock/profile/${d.id}/openai/v1`,
        api_key_env: "MOCK_OPENAI_API_KEY",
      },
    ]),
  );
}

/** The alias for one policy. */
export function simModel(policy: Policy): Record<string, unknown> {
  const deployments = DEPLOYMENTS.map((d) => ({
    id: d.id,
    provider: d.provider,
    model: UPSTREAM_MODEL,
    input_usd_per_mtok: d.inputUsdPerMtok,
    output_usd_per_mtok: d.outputUsdPerMtok,
    weight: d.weight,
  }));
  return {
    alias: ALIAS,
    kind: "chat",
    policy,
    objectives: { p95_vs_fastest: 2, max_error_rate: 0.05 },
    circuit: { failure_ratio: 0.5, min_requests: 5, window_ms: 10_000, open_ms: 5_000, probes: 3 },
    // Premium first: for `pinned`, the baseline of pinning the premium deployment.
    deployments,
  };
}

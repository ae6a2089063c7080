// How an alias chooses among its deployments (docs/routing.md): the policy, its objectives,
// conditions that narrow the candidates first, the circuit breaker, retries on one deployment,
// and fallbacks on refusals. Read by the router (choice) and the provider stage (retries,
// refusal fallbacks, the circuit's inputs).
import { z } from "zod";

export const ROUTE_POLICIES = ["pinned", "weighted", "fastest", "cheapest", "least_busy"] as const;
export type RoutePolicy = (typeof ROUTE_POLICIES)[number];

/**
 * Retries of a retryable failure (429, 5xx, connect errors, timeouts) on the same deployment
 * before falling back to the next, with exponential backoff and full jitter; the upstream's
 * Retry-After is honoured up to `max_ms`. Without it, none: a retryable failure falls back at
 * once.
 */
export const retrySchema = z
  .strictObject({
    /** Retries per deployment (so up to attempts + 1 calls to each). */
    attempts: z.number().int().min(0).max(10),
    /** The backoff before the first retry is a random time below this; it doubles per retry. */
    base_ms: z.number().int().positive().default(500),
    /** No wait is longer: not the backoff, and not a Retry-After (longer ones fall back). */
    max_ms: z.number().int().positive().max(600_000).default(8_000),
  })
  .refine((r) => r.max_ms >= r.base_ms, { message: "max_ms must be at least base_ms", path: ["max_ms"] });

/** What `cheapest` holds a deployment to before its price counts. */
export const objectivesSchema = z.strictObject({
  /** Recent p95 latency at most this many ms. */
  p95_ms: z.number().positive().optional(),
  /** Recent p95 latency at most this multiple of the fastest deployment's p95. */
  p95_vs_fastest: z.number().min(1).default(2),
  /** Recent share of attempts that failed (5xx, connect errors, timeouts, 429s), at most. */
  max_error_rate: z.number().min(0).max(1).default(0.05),
});

/** Opens on a failure ratio over a window; half-open after `open_ms`, closed after `probes`. */
export const circuitSchema = z.strictObject({
  failure_ratio: z.number().gt(0).max(1).default(0.5),
  /** Attempts in the window before the ratio counts. */
  min_requests: z.number().int().positive().default(10),
  window_ms: z.number().int().min(1000).max(30_000).default(10_000),
  /** The first open lasts this long; each reopen without closing doubles it, to `max_open_ms`. */
  open_ms: z.number().int().positive().default(5_000),
  max_open_ms: z.number().int().positive().default(60_000),
  /** Successful probes, with no failure among them, that close a half-open circuit. */
  probes: z.number().int().positive().default(3),
});

const conditionSchema = z.strictObject({
  tenant: z.array(z.string()).optional(),
  team: z.array(z.string()).optional(),
  key: z.array(z.string()).optional(),
  /** Each pair must be in the request's metadata (body `metadata`, `x-switchyard-metadata`). */
  metadata: z.record(z.string(), z.string()).optional(),
  /** The estimated prompt tokens are at least this. */
  min_prompt_tokens: z.number().int().nonnegative().optional(),
});

/** A condition and what it narrows the alias to; the first route whose `when` holds applies. */
export const routeSchema = z.strictObject({
  name: z.string().min(1).optional(),
  when: conditionSchema,
  /** Ids of the alias's deployments; all of them when unset. */
  deployments: z.array(z.string().min(1)).min(1).optional(),
  policy: z.enum(ROUTE_POLICIES).optional(),
});

export const refusalFallbackSchema = z.strictObject({
  /** After a context-window refusal, try the alias's deployments with a larger window. */
  context_window: z.boolean().default(false),
  /** After a content-policy refusal, try these of the alias's deployments, in order. */
  content_policy: z.array(z.string().min(1)).default([]),
});

/** The routing fields of a model alias (merged into its schema in gateway-config.ts). */
export const aliasRoutingShape = {
  policy: z.enum(ROUTE_POLICIES).default("pinned"),
  /** weighted: keep a key's (or an end user's) requests on one deployment while weights hold. */
  sticky: z.enum(["none", "key", "end_user"]).default("none"),
  objectives: objectivesSchema.prefault({}),
  circuit: circuitSchema.prefault({}),
  retry: retrySchema.optional(),
  fallback: refusalFallbackSchema.prefault({}),
  routes: z.array(routeSchema).default([]),
};

/** The routing fields of a deployment. */
export const deploymentRoutingShape = {
  /** Share for `weighted`, relative to the others' (0: never first). */
  weight: z.number().nonnegative().default(1),
  /** Tokens the deployment's model can take, prompt and output together; unset: unknown. */
  context_window: z.number().int().positive().optional(),
  /** It accepts tools (function calling). */
  tools: z.boolean().default(true),
  /** It accepts images in messages. */
  images: z.boolean().default(true),
};

export type ObjectivesConfig = z.infer<typeof objectivesSchema>;
export type CircuitConfig = z.infer<typeof circuitSchema>;
export type RouteConfig = z.infer<typeof routeSchema>;
export type RetryConfig = z.infer<typeof retrySchema>;

// Meter stage, admission on the path: every limit that applies to the request — its key's,
// team's and tenant's requests, tokens and concurrency, and its key's with the model — checked
// and taken in one atomic Redis call (limits.ts); then every budget that applies charged with
// the request's maximum cost in another (budgets/). What it was admitted under travels on in
// the envelope, for the answer's x-ratelimit-* headers and for settlement. While Redis cannot
// be reached neither can be checked: the tenant's fail modes say whether the request goes on
// uncounted (open; the default for limits, as Envoy's and Kong's rate limiters do) or is
// answered 503 (closed; the default for budgets, so an outage cannot become unbounded spend).
import { create } from "@bufbuild/protobuf";
import { GatewayError, type Logger, type StageHandler } from "@switchyard/common";
import { AdmissionSchema, RateLimitStatusSchema, RequestKind, type Envelope } from "@switchyard/proto";
import { budgetsOf, unreservedHolds, type BudgetGate } from "./budgets/gate.js";
import type { Key, StoreDownModes, Team, Tenant } from "./identity/store.js";
import type { LimitStatus, Limiter } from "./limits.js";
import { scopesOf } from "./scopes.js";

const status = (s: LimitStatus | undefined) =>
  s && create(RateLimitStatusSchema, { limit: s.limit, remaining: s.remaining, resetMs: s.resetMs });

const REFUSED: Record<string, string> = {
  requests: "requests per minute",
  tokens: "tokens per minute",
  concurrency: "requests in flight",
};

export type StoreCheck = keyof StoreDownModes;

/** Whose request it is: the records admission reads. */
interface Who {
  key?: Key;
  team?: Team;
  tenant?: Tenant;
}

export function createMeterStage(deps: {
  /** Records, cached; a lookup that fails is a store that is down. */
  keyById: (id: string) => Promise<Key | undefined>;
  teamById: (id: string) => Promise<Team | undefined>;
  tenantById: (id: string) => Promise<Tenant | undefined>;
  limiter: Limiter;
  budgets: BudgetGate;
  /** How long past its deadline a request's budget reservation is held. */
  reservationGraceMs: number;
  /** Fail modes for tenants that set none (and for requests whose records cannot be read). */
  storeDownDefaults: StoreDownModes;
  onStoreDown: (check: StoreCheck, mode: "open" | "closed", err: unknown) => void;
  log: Logger;
}): StageHandler {
  /** The store failed during `check`: go on uncounted, or answer 503, as the tenant chose. */
  const storeDown = (check: StoreCheck, tenant: Tenant | undefined, err: unknown): void => {
    const mode = tenant?.onStoreDown?.[check] ?? deps.storeDownDefaults[check];
    deps.onStoreDown(check, mode, err);
    if (mode === "open") return;
    throw new GatewayError(
      "unavailable",
      `the ${check === "limits" ? "rate limits" : "budgets"} cannot be checked now (their store is unreachable); retry`,
      { cause: err },
    );
  };

  async function admitLimits(env: Envelope, { key, team, tenant }: Who, now: number): Promise<void> {
    const scopes = scopesOf(key, team, tenant, env.model);
    if (scopes.length === 0) return;
    const reserved = env.estimatedPromptTokens + (env.kind === RequestKind.CHAT ? env.outputCapTokens : 0);
    let decision;
    try {
      decision = await deps.limiter.admit({
        requestId: env.requestId,
        scopes,
        reserveTokens: reserved,
        deadlineUnixMs: Number(env.deadlineUnixMs),
        now,
      });
    } catch (err) {
      return storeDown("limits", tenant, err);
    }
    const a = admissionOf(env, now);
    a.limitScopes = scopes.map((s) => s.scope);
    a.reservedTokens = decision.allowed ? reserved : 0;
    a.requests = status(decision.requests);
    a.tokens = status(decision.tokens);
    if (decision.allowed) return;
    const what = decision.scope.split(":")[0];
    if (decision.reason === "too_large") {
      throw new GatewayError(
        "rate_limited",
        `the request needs ${reserved} tokens (prompt plus max_tokens), more than the ${what}'s limit of tokens per minute`,
        { retryable: false },
      );
    }
    throw new GatewayError(
      "rate_limited",
      `the ${what}'s limit of ${REFUSED[decision.reason] ?? decision.reason} is reached; retry in ${Math.ceil(decision.retryAfterMs / 1000)} s`,
      { retryAfterMs: decision.retryAfterMs },
    );
  }

  async function admitBudgets(env: Envelope, who: Who, now: number): Promise<void> {
    const { key, team, tenant } = who;
    const applicable = budgetsOf(key, team, tenant);
    if (applicable.length === 0) return;
    const a = admissionOf(env, now);
    try {
      const { holds, downgradedFrom } = await deps.budgets.admit(
        env,
        { key, team, tenant },
        now,
        deps.reservationGraceMs,
      );
      a.budgets = holds;
      a.downgradedFrom = downgradedFrom;
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      storeDown("budgets", tenant, err);
      a.budgets = unreservedHolds(applicable, env.tenantId, now);
    }
  }

  return async ({ env }) => {
    let key, team, tenant;
    try {
      [key, team, tenant] = await Promise.all([
        deps.keyById(env.keyId),
        env.teamId === "" ? undefined : deps.teamById(env.teamId),
        deps.tenantById(env.tenantId),
      ]);
    } catch (err) {
      // Without the records neither what applies nor the tenant's fail modes are known: the
      // stricter default decides (budgets closed, unless set open).
      storeDown(deps.storeDownDefaults.budgets === "closed" ? "budgets" : "limits", undefined, err);
      return "next";
    }
    const now = Date.now();
    await admitLimits(env, { key, team, tenant }, now);
    await admitBudgets(env, { key, team, tenant }, now);
    return "next";
  };
}

/** The envelope's admission record, made on first use: a request under nothing carries none. */
function admissionOf(env: Envelope, now: number) {
  env.admission ??= create(AdmissionSchema, { admittedUnixMs: BigInt(now) });
  return env.admission;
}

// Meter stage, admission on the path: every limit that applies to the request — its key's,
// team's and tenant's requests, tokens and concurrency, and its key's with the model — checked
// and taken in one atomic Redis call (limits.ts). What it was admitted under travels on in the
// envelope, for the answer's x-ratelimit-* headers and for settlement. While Redis cannot be
// reached the limits cannot be checked: the fail mode says whether the request goes on
// uncounted (open, the default, as Envoy's and Kong's rate limiters do) or is answered 503
// (closed).
import { create } from "@bufbuild/protobuf";
import { GatewayError, type Logger, type StageHandler } from "@switchyard/common";
import { AdmissionSchema, RateLimitStatusSchema, RequestKind } from "@switchyard/proto";
import type { Key, Team, Tenant } from "./identity/store.js";
import type { LimitStatus, Limiter } from "./limits.js";
import { scopesOf } from "./scopes.js";

const status = (s: LimitStatus | undefined) =>
  s && create(RateLimitStatusSchema, { limit: s.limit, remaining: s.remaining, resetMs: s.resetMs });

const REFUSED: Record<string, string> = {
  requests: "requests per minute",
  tokens: "tokens per minute",
  concurrency: "requests in flight",
};

export function createMeterStage(deps: {
  /** Records, cached; a lookup that fails is a store that is down. */
  keyById: (id: string) => Promise<Key | undefined>;
  teamById: (id: string) => Promise<Team | undefined>;
  tenantById: (id: string) => Promise<Tenant | undefined>;
  limiter: Limiter;
  failMode: "open" | "closed";
  onStoreDown: (mode: "open" | "closed") => void;
  log: Logger;
}): StageHandler {
  const storeDown = (err: unknown): "next" => {
    deps.onStoreDown(deps.failMode);
    if (deps.failMode === "open") return "next";
    throw new GatewayError(
      "unavailable",
      "the limits cannot be checked now (their store is unreachable); retry",
      {
        cause: err,
      },
    );
  };
  return async ({ env }) => {
    let scopes;
    try {
      const [key, team, tenant] = await Promise.all([
        deps.keyById(env.keyId),
        env.teamId === "" ? undefined : deps.teamById(env.teamId),
        deps.tenantById(env.tenantId),
      ]);
      scopes = scopesOf(key, team, tenant, env.model);
    } catch (err) {
      return storeDown(err);
    }
    if (scopes.length === 0) return "next";
    const now = Date.now();
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
      return storeDown(err);
    }
    env.admission = create(AdmissionSchema, {
      limitScopes: scopes.map((s) => s.scope),
      reservedTokens: decision.allowed ? reserved : 0,
      admittedUnixMs: BigInt(now),
      requests: status(decision.requests),
      tokens: status(decision.tokens),
    });
    if (decision.allowed) return "next";
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
  };
}

// Budget admission: a request is charged to its key's, team's and tenant's budgets, each for
// its current period. Admission reserves the request's maximum cost — the prompt at the input
// price plus its output cap at the output price, of the dearest deployment it may be sent to —
// so concurrent requests can never together spend past a hard budget (the overshoot LiteLLM
// has: check before, charge after). A hard budget that cannot cover the reservation refuses
// with 429 budget_exceeded, or, where the tenant names an over-budget model, the request goes
// to that alias instead. Settlement (settlement.ts) replaces the reservation with the cost.
import { create } from "@bufbuild/protobuf";
import { GatewayError, maxCostNanoUsd, type BudgetConfig, type Catalog } from "@switchyard/common";
import {
  BudgetHoldSchema,
  RequestKind,
  RouteDecisionSchema,
  type BudgetHold,
  type Envelope,
} from "@switchyard/proto";
import type { Key, Team, Tenant } from "../identity/store.js";
import type { Charge, Ledger, Reached } from "./ledger.js";
import { periodOf } from "./period.js";

const NANO_PER_USD = 1_000_000_000;

export const usdToNano = (usd: number): bigint => BigInt(Math.round(usd * NANO_PER_USD));
const usdText = (nano: bigint): string => `$${(Number(nano) / NANO_PER_USD).toFixed(4)}`;

/** The budgets that apply to a request of `key`: its own, its team's, its tenant's. */
export function budgetsOf(
  key: Key | undefined,
  team: Team | undefined,
  tenant: Tenant | undefined,
): { scope: string; budget: BudgetConfig }[] {
  const out: { scope: string; budget: BudgetConfig }[] = [];
  if (key?.budget) out.push({ scope: `key:${key.id}`, budget: key.budget });
  if (team?.budget) out.push({ scope: `team:${team.id}`, budget: team.budget });
  if (tenant?.budget) out.push({ scope: `tenant:${tenant.id}`, budget: tenant.budget });
  return out;
}

/** The most the request can cost on any deployment the router left it. */
export function maxCostOf(env: Envelope): bigint {
  const output = env.kind === RequestKind.CHAT ? env.outputCapTokens : 0;
  let most = 0n;
  for (const d of env.route?.deployments ?? []) {
    const c = maxCostNanoUsd(d.prices, env.estimatedPromptTokens, output, env.promptCacheWrite);
    if (c > most) most = c;
  }
  return most;
}

export interface BudgetGate {
  /**
   * Reserves the request's maximum cost on every budget that applies and returns the holds,
   * or throws 429 budget_exceeded. May move the request to the tenant's over-budget model.
   */
  admit(
    env: Envelope,
    who: { key?: Key; team?: Team; tenant?: Tenant },
    now: number,
    graceMs: number,
  ): Promise<{ holds: BudgetHold[]; downgradedFrom: string }>;
}

type Applicable = ReturnType<typeof budgetsOf>;
type Pending = Charge & { alertAt: number[] };

function chargesOf(applicable: Applicable, now: number): Pending[] {
  return applicable.map(({ scope, budget }) => {
    const period = periodOf(budget, now);
    return {
      scope,
      period: period.id,
      periodEndsAt: period.endsAt,
      budgetNanoUsd: usdToNano(budget.usd),
      hard: budget.mode === "hard",
      alertAt: budget.alert_at,
    };
  });
}

function holdsOf(charges: Pending[], tenantId: string, reserved: bigint): BudgetHold[] {
  return charges.map((c) =>
    create(BudgetHoldSchema, {
      scope: c.scope,
      period: c.period,
      reservedNanoUsd: reserved,
      budgetNanoUsd: c.budgetNanoUsd,
      alertAt: c.alertAt,
      tenantId,
      periodEndsUnixMs: BigInt(c.periodEndsAt),
    }),
  );
}

/** Holds for a request admitted uncounted while the store was down: settlement still charges its cost. */
export function unreservedHolds(applicable: Applicable, tenantId: string, now: number): BudgetHold[] {
  return holdsOf(chargesOf(applicable, now), tenantId, 0n);
}

export function createBudgetGate(
  ledger: Ledger,
  catalog: Catalog,
  /** Told when a budget refuses for the first time in its period (its 100 % alert). */
  onAlert: (hold: BudgetHold, reached: Reached) => void,
): BudgetGate {
  return {
    async admit(env, who, now, graceMs) {
      const applicable = budgetsOf(who.key, who.team, who.tenant);
      if (applicable.length === 0) return { holds: [], downgradedFrom: "" };
      const charges = chargesOf(applicable, now);
      const expiresAt = Number(env.deadlineUnixMs) + graceMs;
      const reserve = (amount: bigint) =>
        ledger.reserve({ requestId: env.requestId, charges, amountNanoUsd: amount, expiresAt, now });

      let amount = maxCostOf(env);
      let result = await reserve(amount);
      if (!result.allowed && result.exhausted) {
        const c = charges[result.refused]!;
        if (c.alertAt.includes(1)) {
          const spentNanoUsd = result.standings[result.refused]!.spentNanoUsd;
          onAlert(holdsOf([c], env.tenantId, 0n)[0]!, { hold: 0, fraction: 1, spentNanoUsd });
        }
      }
      let downgradedFrom = "";
      const cheaper = who.tenant?.overBudgetModel;
      const alternative = cheaper === undefined ? undefined : catalog.get(cheaper);
      if (!result.allowed && alternative !== undefined && cheaper !== env.model) {
        downgradedFrom = env.model;
        env.model = alternative.alias;
        // A new route object: the envelope leaves re-encoded whole (model included), not as
        // an appended delta of fields that changed (flight.ts).
        env.route = create(RouteDecisionSchema, {
          deployments: alternative.deployments,
          policy: `over_budget:${env.route?.policy ?? ""}`,
          retry: alternative.retry,
        });
        amount = maxCostOf(env);
        result = await reserve(amount);
      }
      if (!result.allowed) {
        const c = charges[result.refused]!;
        const s = result.standings[result.refused]!;
        const endsAt = c.periodEndsAt;
        throw new GatewayError(
          "budget_exceeded",
          `the ${c.scope.split(":")[0]}'s budget of ${usdText(c.budgetNanoUsd)} for this period cannot cover this request ` +
            `(up to ${usdText(amount)}; ${usdText(s.spentNanoUsd)} spent, ${usdText(s.reservedNanoUsd)} held by requests in flight)` +
            (endsAt > 0 ? `; it resets at ${new Date(endsAt).toISOString()}` : ""),
          { retryable: false, retryAfterMs: endsAt > 0 ? endsAt - now : 0 },
        );
      }
      return { holds: holdsOf(charges, env.tenantId, amount), downgradedFrom };
    },
  };
}

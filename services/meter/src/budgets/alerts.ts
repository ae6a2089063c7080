// Budget alerts: published on JetStream (one message per budget, period and fraction; the
// message id makes a re-publish a no-op) and, when the gateway file names one, POSTed to a
// webhook as JSON — off the request path, a few tries with backoff, never blocking settlement.
import { create, toBinary } from "@bufbuild/protobuf";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "@switchyard/common";
import { BudgetAlertSchema, type BudgetAlert, type BudgetHold } from "@switchyard/proto";
import { Counter, type Registry } from "prom-client";
import type { Reached } from "./ledger.js";

const WEBHOOK_TRIES = 3;
const WEBHOOK_TIMEOUT_MS = 5_000;

/** The webhook's body: what a person reading a chat channel needs. */
export function alertJson(a: BudgetAlert): Record<string, unknown> {
  return {
    type: "budget.alert",
    tenant_id: a.tenantId,
    scope: a.scope,
    period: a.period,
    budget_percentage_used: Math.round(a.fraction * 100),
    budget_usd: Number(a.budgetNanoUsd) / 1e9,
    spent_usd: Number(a.spentNanoUsd) / 1e9,
    at: new Date(Number(a.atUnixMs)).toISOString(),
  };
}

export function createAlertPublisher(deps: {
  nc: NatsConnection;
  subject: string;
  webhookUrl?: string;
  registry?: Registry;
  log: Logger;
}): (hold: BudgetHold, reached: Reached) => void {
  const js = jetstream(deps.nc);
  const sent = new Counter({
    name: "switchyard_budget_alerts_total",
    help: "Budget alerts raised, by where they were delivered and how it went",
    labelNames: ["via", "outcome"],
    registers: deps.registry ? [deps.registry] : [],
  });

  async function webhook(url: string, body: string): Promise<void> {
    for (let attempt = 1; attempt <= WEBHOOK_TRIES; attempt++) {
      try {
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
        });
        await res.body?.cancel();
        if (res.ok) return void sent.inc({ via: "webhook", outcome: "ok" });
      } catch {
        // Tried again below.
      }
      await new Promise((r) => setTimeout(r, 250 * 4 ** (attempt - 1)));
    }
    sent.inc({ via: "webhook", outcome: "failed" });
    deps.log.warn({ url }, "budget alert webhook failed");
  }

  return (hold, reached) => {
    const alert = create(BudgetAlertSchema, {
      tenantId: hold.tenantId,
      scope: hold.scope,
      period: hold.period,
      fraction: reached.fraction,
      budgetNanoUsd: hold.budgetNanoUsd,
      spentNanoUsd: reached.spentNanoUsd,
      atUnixMs: BigInt(Date.now()),
    });
    deps.log.info(alertJson(alert), "budget alert");
    js.publish(deps.subject, toBinary(BudgetAlertSchema, alert), {
      msgID: `${hold.scope}|${hold.period}|${reached.fraction}`,
    }).then(
      () => sent.inc({ via: "jetstream", outcome: "ok" }),
      (err: unknown) => {
        sent.inc({ via: "jetstream", outcome: "failed" });
        deps.log.warn({ err }, "could not publish a budget alert");
      },
    );
    if (deps.webhookUrl !== undefined) void webhook(deps.webhookUrl, JSON.stringify(alertJson(alert)));
  };
}

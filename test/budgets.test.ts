// Budgets end to end, with two ingress and two meter replicas sharing them through Redis:
// 64 clients at once on one key never spend past its budget by more than one request, and
// leave no reservation behind; a failed request costs nothing; an exhausted budget sends a
// tenant's requests to its over-budget model; alerts reach JetStream and a webhook, once each;
// the admin API reports what is left.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fromBinary } from "@bufbuild/protobuf";
import { DeliverPolicy, jetstream } from "@nats-io/jetstream";
import { Redis } from "ioredis";
import { eventsStreamName } from "@switchyard/common";
import { sha256Key } from "@switchyard/devkit";
import { ledgerKeys, standingOf } from "@switchyard/meter/budgets/ledger";
import { BudgetAlertSchema, type BudgetAlert } from "@switchyard/proto";
import { testStack } from "./harness/env.js";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";

// Prices that make each request cost real money: up to 8 output tokens at $4,000/Mtok plus a
// prompt of ~10 tokens at $1,000/Mtok is at most ~$0.05 a request.
const PRICEY = { input_usd_per_mtok: 1000, output_usd_per_mtok: 4000 };
const MAX_TOKENS = 8;
const SECRET = {
  burst: "sy-test-budget-burst",
  failing: "sy-test-budget-failing",
  downgrade: "sy-test-budget-downgrade",
  alerts: "sy-test-budget-alerts",
  cacheWrite: "sy-test-budget-cache-write",
} as const;
const PERIOD = `m${new Date().toISOString().slice(0, 7)}`;

describe("budgets", () => {
  let gw: GatewayUnderTest;
  let redis: Redis;
  let webhook: Server;
  const hooks: Record<string, unknown>[] = [];
  let turn = 0;

  const chat = async (key: string, model = "pricey", text = "hello there") => {
    const url = gw.httpUrls[turn++ % gw.httpUrls.length]!;
    const res = await fetch(`${url}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model, messages: [{ role: "user", content: text }], max_tokens: MAX_TOKENS }),
    });
    const body = (await res.json()) as { model?: string; error?: { code: string; message: string } };
    return { status: res.status, body, headers: res.headers };
  };
  const standing = (scope: string) => standingOf(redis, gw.prefix, scope, PERIOD);
  /** Until every request's settlement has landed: nothing held, spend unchanged for a moment. */
  const settled = async (scope: string) => {
    let last = "";
    for (let i = 0; i < 100; i++) {
      const s = await standing(scope);
      const now = `${s.spentNanoUsd}/${s.reservedNanoUsd}`;
      if (s.reservedNanoUsd === 0n && now === last) return s;
      last = now;
      await sleep(200);
    }
    return standing(scope);
  };

  before(async () => {
    webhook = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        hooks.push(JSON.parse(body) as Record<string, unknown>);
        res.end("ok");
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, "127.0.0.1", resolve));
    const hookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/alerts`;
    gw = await startGateway({
      replicas: { ingress: 2, meter: 2 },
      gatewayFile: (file) => {
        const models = file.models as { alias: string; deployments: object[] }[];
        const mock = (models.find((m) => m.alias === "mock-gpt")!.deployments[0] as { provider: string })
          .provider;
        models.push(
          {
            alias: "pricey",
            deployments: [{ id: "pricey-1", provider: mock, model: "mock-gpt", ...PRICEY }],
          },
          {
            alias: "cheap",
            deployments: [
              {
                id: "cheap-1",
                provider: mock,
                model: "mock-cheap",
                input_usd_per_mtok: 1,
                output_usd_per_mtok: 4,
              },
            ],
          },
          {
            // One-hour cache writes at $1 a token: a prompt asking for them costs dollars.
            alias: "pricey-cache",
            deployments: [
              {
                id: "cache-1",
                provider: mock,
                model: "mock-gpt",
                ...PRICEY,
                cache_write_1h_usd_per_mtok: 1_000_000,
              },
            ],
          },
          {
            alias: "pricey-failing",
            deployments: [{ id: "failing-1", provider: "mock-openai-500", model: "mock-gpt", ...PRICEY }],
          },
        );
        (file.tenants as object[]).push({ id: "thrifty", over_budget_model: "cheap" });
        const key = (id: string, tenant: string, secret: string, budget: object) => ({
          id,
          tenant,
          hash: sha256Key(secret),
          budget,
        });
        (file.keys as object[]).push(
          key("burst", "local", SECRET.burst, { usd: 0.5 }),
          key("failing", "local", SECRET.failing, { usd: 0.5 }),
          key("downgrade", "thrifty", SECRET.downgrade, { usd: 0.01 }),
          key("alerts", "local", SECRET.alerts, { usd: 0.2, alert_at: [0.5, 1] }),
          key("cache-write", "local", SECRET.cacheWrite, { usd: 0.05 }),
        );
        file.budgets = { alert_webhook_url: hookUrl, reservation_grace_ms: 5_000 };
      },
    });
    redis = new Redis(testStack().redisUrl);
  });
  after(async () => {
    redis?.disconnect();
    await gw?.stop();
    webhook?.close();
  });

  it("64 clients at once spend at most the budget plus one request, and leave nothing held", async () => {
    const outcomes: { status: number; code?: string }[] = [];
    // Each client keeps asking until the budget refuses it.
    await Promise.all(
      Array.from({ length: 64 }, async (_, c) => {
        for (let i = 0; i < 20; i++) {
          const a = await chat(SECRET.burst, "pricey", `client ${c} request ${i}`);
          outcomes.push({ status: a.status, code: a.body.error?.code });
          if (a.status !== 200) return;
        }
      }),
    );
    const ok = outcomes.filter((o) => o.status === 200).length;
    const refused = outcomes.filter((o) => o.status === 429 && o.code === "budget_exceeded").length;
    assert.equal(
      ok + refused,
      outcomes.length,
      `only 200 or 429 budget_exceeded: ${JSON.stringify(outcomes.filter((o) => o.status !== 200 && o.code !== "budget_exceeded").slice(0, 3))}`,
    );
    assert.ok(refused >= 64 - 1, `every client was refused in the end (${refused})`);

    let s = await settled("key:burst");
    const budget = 500_000_000n;
    // The dearest request: ~10 prompt tokens at $1,000/Mtok plus 8 output at $4,000/Mtok.
    const oneRequest = 64_000_000n;
    assert.ok(s.spentNanoUsd <= budget + oneRequest, `spent ${s.spentNanoUsd} of ${budget}`);
    assert.equal(s.reservedNanoUsd, 0n);
    // Reservations are the most a request can cost; once they settle to what was spent, the
    // headroom they held is back: one client at a time gets through until the budget is spent.
    for (let i = 0; i < 40; i++) {
      const a = await chat(SECRET.burst, "pricey", `after the burst ${i}`);
      if (a.status !== 200) break;
      await settled("key:burst");
    }
    s = await settled("key:burst");
    assert.ok(s.spentNanoUsd <= budget + oneRequest, `spent ${s.spentNanoUsd} of ${budget}`);
    assert.ok(s.spentNanoUsd >= budget - oneRequest, `spent only ${s.spentNanoUsd} of ${budget}`);
    const [, held, expiries] = ledgerKeys(gw.prefix, "key:burst", PERIOD);
    assert.deepEqual([await redis.hlen(held), await redis.zcard(expiries)], [0, 0], "no reservation left");
    console.log(`${ok} answered, ${refused} refused; spent ${s.spentNanoUsd} nano-USD of ${budget}`);
  });

  it("charges nothing for a request that failed, and gives its reservation back", async () => {
    const a = await chat(SECRET.failing, "pricey-failing");
    assert.equal(a.status, 502);
    const s = await settled("key:failing");
    assert.deepEqual(s, { spentNanoUsd: 0n, reservedNanoUsd: 0n });
  });

  it("refuses with the budget's numbers and when it resets, or serves the tenant's over-budget model", async () => {
    const refused = await chat(SECRET.burst);
    assert.equal(refused.status, 429);
    assert.match(refused.body.error?.message ?? "", /key's budget of \$0\.5000 .* resets at \d{4}-\d\d-01T/);
    assert.ok(Number(refused.headers.get("retry-after")) > 0);

    // $0.01 cannot cover a pricey request (up to ~$0.04), so the tenant's cheap model serves it.
    const a = await chat(SECRET.downgrade, "pricey", "[marker:downgraded]");
    assert.equal(a.status, 200, JSON.stringify(a.body));
    const sent = gw.mock.requests().filter((r) => r.marker === "downgraded");
    assert.deepEqual(
      sent.map((r) => r.model),
      ["mock-cheap"],
    );
  });

  it("reserves a prompt with a one-hour cache breakpoint at the cache-write price", async () => {
    const messages = async (cacheControl?: object) => {
      const res = await fetch(`${gw.httpUrls[0]}/messages`, {
        method: "POST",
        headers: { "x-api-key": SECRET.cacheWrite, "anthropic-version": "2023-06-01" },
        body: JSON.stringify({
          model: "pricey-cache",
          max_tokens: MAX_TOKENS,
          system: [{ type: "text", text: "long instructions", cache_control: cacheControl }],
          messages: [{ role: "user", content: "hello there" }],
        }),
      });
      return {
        status: res.status,
        body: (await res.json()) as { error?: { type: string; message: string } },
      };
    };
    // Priced as input, the request fits the $0.05 budget (~$0.04 at most); asking for
    // one-hour writes of a prompt at $1 a token, it cannot.
    const cached = await messages({ type: "ephemeral", ttl: "1h" });
    // The Anthropic door answers an exhausted budget as Anthropic does: 402 billing_error.
    assert.equal(cached.status, 402, JSON.stringify(cached.body));
    assert.equal(cached.body.error?.type, "billing_error");
    assert.match(cached.body.error?.message ?? "", /key's budget of \$0\.0500/);
    const plain = await messages();
    assert.equal(plain.status, 200, JSON.stringify(plain.body));
  });

  it("publishes each alert once on JetStream and to the webhook, and the admin API shows what is left", async () => {
    // 50 % when settled spend reaches it; 100 % when the hard budget first refuses.
    let refused = false;
    for (let i = 0; i < 12 && !refused; i++) {
      refused = (await chat(SECRET.alerts, "pricey", `alert ${i}`)).status === 429;
      await settled("key:alerts");
    }
    assert.ok(refused);
    await settled("key:alerts");
    const js = jetstream(gw.nc);
    const alerts: BudgetAlert[] = [];
    for (let i = 0; i < 50 && alerts.length < 2; i++) {
      alerts.length = 0;
      const consumer = await js.consumers.get(eventsStreamName(gw.prefix), {
        filter_subjects: [`${gw.prefix}.v1.events.budget`],
        deliver_policy: DeliverPolicy.All,
      });
      const batch = await consumer.fetch({ max_messages: 100, expires: 1000 });
      for await (const m of batch) alerts.push(fromBinary(BudgetAlertSchema, m.data));
      if (alerts.length < 2) await sleep(200);
    }
    const mine = alerts.filter((a) => a.scope === "key:alerts");
    assert.deepEqual(mine.map((a) => a.fraction).sort(), [0.5, 1]);
    for (let i = 0; i < 50 && hooks.filter((h) => h.scope === "key:alerts").length < 2; i++) await sleep(100);
    const hooked = hooks.filter((h) => h.scope === "key:alerts");
    assert.deepEqual(hooked.map((h) => h.budget_percentage_used).sort(), [100, 50]);
    assert.equal(hooked[0]!.budget_usd, 0.2);

    const res = await fetch(`${gw.adminUrl}/usage/keys/alerts`, {
      headers: { authorization: `Bearer ${KEYS.admin}` },
    });
    const usage = (await res.json()) as {
      budget: { usd: number; spent_usd: number; remaining_usd: number; resets_at: string };
    };
    assert.equal(res.status, 200);
    assert.equal(usage.budget.usd, 0.2);
    assert.ok(
      usage.budget.spent_usd > 0.15 && usage.budget.spent_usd <= 0.2,
      `spent ${usage.budget.spent_usd}`,
    );
    assert.ok(Math.abs(usage.budget.remaining_usd - (0.2 - usage.budget.spent_usd)) < 1e-9);
    assert.match(usage.budget.resets_at, /-01T00:00:00\.000Z$/);
  });
});

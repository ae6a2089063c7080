// Budget ledgers against a real Redis, with the clock passed in (each test its own budgets):
// a hard budget never lets reservations past it, even with many requests at once; a request is
// charged to all its budgets or to none; settlement swaps the reservation for the cost once; a
// failed request gives its reservation back; one that never settles gives it back after its
// expiry; alerts fire once per fraction and period.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { create } from "@bufbuild/protobuf";
import { BudgetHoldSchema } from "@switchyard/proto";
import {
  alertsReached,
  budgetSettleArgs,
  createLedger,
  defineBudgetSettle,
  ledgerKeys,
  standingOf,
  type Charge,
  type Ledger,
} from "@switchyard/meter/budgets/ledger";
import { testStack, uniquePrefix } from "./harness/env.js";

const NOW = Date.parse("2026-12-02T10:00:00Z");
const END = Date.parse("2027-01-01T00:00:00Z");

describe("budget ledger", () => {
  let redis: Redis;
  let prefix: string;
  let ledger: Ledger;
  const scope = (what: string) => `key:${what}-${randomBytes(3).toString("hex")}`;
  const charge = (s: string, budgetNanoUsd: bigint, hard = true): Charge => ({
    scope: s,
    period: "m2026-12",
    periodEndsAt: END,
    budgetNanoUsd,
    hard,
  });
  const reserve = (
    requestId: string,
    charges: Charge[],
    amount: bigint,
    now = NOW,
    expiresAt = NOW + 60_000,
  ) => ledger.reserve({ requestId, charges, amountNanoUsd: amount, expiresAt, now });
  // Settlement runs through the pipeline command the meter uses.
  const settle = async (requestId: string, charges: Charge[], cost: bigint, alertAt: number[] = []) => {
    const holds = charges.map((c) =>
      create(BudgetHoldSchema, {
        scope: c.scope,
        period: c.period,
        budgetNanoUsd: c.budgetNanoUsd,
        alertAt,
        periodEndsUnixMs: BigInt(c.periodEndsAt),
      }),
    );
    const [[err, result]] = (await redis
      .pipeline()
      .syBudgetSettle(...budgetSettleArgs(prefix, requestId, holds, cost))
      .exec()) as [[Error | null, unknown]];
    assert.equal(err, null);
    return alertsReached(result);
  };

  before(() => {
    redis = new Redis(testStack().redisUrl);
    prefix = uniquePrefix();
    ledger = createLedger(redis, prefix);
    defineBudgetSettle(redis);
  });
  after(() => redis.disconnect());

  it("refuses what a hard budget cannot cover, and never a soft one", async () => {
    const hard = charge(scope("hard"), 1000n);
    assert.equal((await reserve("a", [hard], 600n)).allowed, true);
    const refused = await reserve("b", [hard], 500n);
    assert.deepEqual(refused, {
      allowed: false,
      refused: 0,
      exhausted: true, // the period's first refusal: its 100 % alert
      standings: [{ spentNanoUsd: 0n, reservedNanoUsd: 600n }],
    });
    assert.equal((await reserve("b2", [hard], 500n)).allowed, false);
    const again = await reserve("b3", [hard], 500n);
    assert.ok(!again.allowed && !again.exhausted, "the 100 % alert once");
    assert.equal((await reserve("c", [hard], 400n)).allowed, true);

    const soft = charge(scope("soft"), 1000n, false);
    assert.equal((await reserve("d", [soft], 600n)).allowed, true);
    assert.equal((await reserve("e", [soft], 600n)).allowed, true);
    assert.equal((await standingOf(redis, prefix, soft.scope, soft.period)).reservedNanoUsd, 1200n);
  });

  it("lets no more through than the budget covers when 64 requests arrive at once", async () => {
    const b = charge(scope("burst"), 10_000n);
    const results = await Promise.all(
      Array.from({ length: 64 }, (_, i) => reserve(`burst${i}`, [b], 1_000n)),
    );
    assert.equal(results.filter((r) => r.allowed).length, 10);
    assert.equal((await standingOf(redis, prefix, b.scope, b.period)).reservedNanoUsd, 10_000n);
  });

  it("charges every budget or none", async () => {
    const key = charge(scope("key"), 10_000n);
    const team = charge(scope("team"), 500n);
    const r = await reserve("x", [key, team], 800n);
    assert.deepEqual([r.allowed, r.allowed ? -1 : r.refused], [false, 1]);
    assert.equal((await standingOf(redis, prefix, key.scope, key.period)).reservedNanoUsd, 0n);
  });

  it("counts a request admitted again (sent once more after a lost replica) once", async () => {
    const b = charge(scope("again"), 10_000n);
    await reserve("same", [b], 700n);
    assert.equal((await reserve("same", [b], 700n)).allowed, true);
    assert.equal((await standingOf(redis, prefix, b.scope, b.period)).reservedNanoUsd, 700n);
  });

  it("settles to the actual cost once, and a failed request gives its reservation back", async () => {
    const b = charge(scope("settle"), 10_000n);
    await reserve("ok", [b], 3_000n);
    await reserve("failed", [b], 3_000n);
    await settle("ok", [b], 1_234n);
    await settle("ok", [b], 1_234n); // a redelivered usage event
    await settle("failed", [b], 0n);
    assert.deepEqual(await standingOf(redis, prefix, b.scope, b.period), {
      spentNanoUsd: 1_234n,
      reservedNanoUsd: 0n,
    });
    const [h, r, x] = ledgerKeys(prefix, b.scope, b.period);
    assert.deepEqual([await redis.hlen(r), await redis.zcard(x)], [0, 0]);
    // The ledger outlives its period, for the usage API, then goes.
    const ttl = await redis.pttl(h);
    assert.ok(ttl > END - Date.now(), `ledger TTL ${ttl}`);
  });

  it("gives back a reservation whose request never settles, once its expiry has passed", async () => {
    const b = charge(scope("expire"), 1_000n);
    await reserve("lost", [b], 900n, NOW, NOW + 5_000);
    assert.equal((await reserve("next", [b], 900n, NOW + 4_000)).allowed, false);
    assert.equal((await reserve("next", [b], 900n, NOW + 5_001)).allowed, true);
    assert.equal((await standingOf(redis, prefix, b.scope, b.period)).reservedNanoUsd, 900n);
    // Its late settlement still charges what it really cost, and takes nothing else back.
    await settle("lost", [b], 100n);
    assert.deepEqual(await standingOf(redis, prefix, b.scope, b.period), {
      spentNanoUsd: 100n,
      reservedNanoUsd: 900n,
    });
  });

  it("raises each alert once per period, when spend reaches its fraction", async () => {
    const b = charge(scope("alerts"), 1_000n);
    const at = [0.5, 0.8, 0.95, 1];
    assert.deepEqual(await settle("a1", [b], 400n, at), []);
    const second = await settle("a2", [b], 450n, at);
    assert.deepEqual(
      second.map((r) => [r.fraction, r.spentNanoUsd]),
      [
        [0.5, 850n],
        [0.8, 850n],
      ],
    );
    assert.deepEqual(await settle("a3", [b], 10n, at), []);
    const last = await settle("a4", [b], 500n, at);
    assert.deepEqual(
      last.map((r) => r.fraction),
      [0.95, 1],
    );
    assert.deepEqual(await settle("a5", [b], 500n, at), []);
  });
});

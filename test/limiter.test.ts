// The meter's limiter against a real Redis, with the clock passed in (each test's own limit
// scopes, so they do not meet): the sliding window never
// lets more than the limit through in any window-long span (across its edge too), tokens are
// reserved and settled to what was used, concurrency slots end at settlement or at the
// deadline, and a request under several limits is taken from all of them or from none.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createLimiter, defineLimitSettle, limitSettleArgs, type Limiter } from "@switchyard/meter/limits";
import { Redis } from "ioredis";
import { testStack, uniquePrefix } from "./harness/env.js";

const W = 60_000;
const FAR = 10 * W;

describe("limiter", () => {
  let redis: Redis;
  let prefix: string;
  let limiter: Limiter;
  let seq = 0;
  const admit = (
    scopes: Parameters<Limiter["admit"]>[0]["scopes"],
    now: number,
    reserveTokens = 0,
    id?: string,
  ) => limiter.admit({ requestId: id ?? `r${seq++}`, scopes, reserveTokens, deadlineUnixMs: now + FAR, now });
  const settle = async (
    requestId: string,
    scopes: string[],
    reservedTokens: number,
    usedTokens: number,
    admittedUnixMs: number,
    now: number,
  ) => {
    const args = limitSettleArgs(prefix, {
      requestId,
      scopes,
      reservedTokens,
      usedTokens,
      admittedUnixMs,
      now,
      windowMs: W,
    });
    const results = await redis
      .pipeline()
      .syLimitSettle(...args)
      .exec();
    assert.equal(results?.[0]?.[0], null);
  };

  before(() => {
    redis = new Redis(testStack().redisUrl);
    prefix = uniquePrefix();
    limiter = createLimiter(redis, prefix, W);
    defineLimitSettle(redis);
  });
  after(() => redis?.disconnect());

  it("lets the limit through in any window-long span, across the window's edge too", async () => {
    const scopes = [{ scope: "key:edge", rpm: 3, tpm: 0, concurrency: 0 }];
    const t0 = Date.now();
    const remaining = [];
    for (const t of [t0, t0 + 10, t0 + 20]) {
      const d = await admit(scopes, t);
      assert.ok(d.allowed);
      remaining.push(d.requests?.remaining);
    }
    assert.deepEqual(remaining, [2, 1, 0]);
    const refused = await admit(scopes, t0 + 30);
    assert.ok(!refused.allowed);
    assert.equal(refused.reason, "requests");
    assert.equal(refused.retryAfterMs, W - 30, "until the oldest request leaves the window");
    // Just past the first request's window one more fits, not a whole new window's worth.
    assert.ok((await admit(scopes, t0 + W + 1)).allowed);
    assert.ok(!(await admit(scopes, t0 + W + 2)).allowed);
    assert.ok((await admit(scopes, t0 + W + 11)).allowed);
  });

  it("never admits more than the limit in any window-long span, whatever the arrivals", async () => {
    const rpm = 7;
    const scopes = [{ scope: "key:random", rpm, tpm: 0, concurrency: 0 }];
    let state = 42;
    const rand = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const admitted: number[] = [];
    let t = Date.now();
    for (let i = 0; i < 300; i++) {
      t += Math.floor(rand() * (W / 10));
      if ((await admit(scopes, t)).allowed) admitted.push(t);
    }
    for (const end of admitted) {
      const inSpan = admitted.filter((a) => a > end - W && a <= end).length;
      assert.ok(inSpan <= rpm, `${inSpan} admitted in the window ending at ${end}`);
    }
    // And it does not refuse what fits: every refusal had a full window before it.
    assert.ok(admitted.length > 300 / 5, `only ${admitted.length} admitted`);
  });

  it("never admits more tokens than the limit in any window-long span, whatever the arrivals", async () => {
    const tpm = 1000;
    const scopes = [{ scope: "key:random-tokens", rpm: 0, tpm, concurrency: 0 }];
    let state = 7;
    const rand = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const admitted: [at: number, tokens: number][] = [];
    let t = Date.now();
    for (let i = 0; i < 300; i++) {
      t += Math.floor(rand() * (W / 10));
      const tokens = 20 + Math.floor(rand() * 300);
      if ((await admit(scopes, t, tokens)).allowed) admitted.push([t, tokens]);
    }
    for (const [end] of admitted) {
      const inSpan = admitted.filter(([a]) => a > end - W && a <= end).reduce((n, [, k]) => n + k, 0);
      assert.ok(inSpan <= tpm, `${inSpan} tokens admitted in the window ending at ${end}`);
    }
    assert.ok(admitted.length > 300 / 10, `only ${admitted.length} admitted`);
  });

  it("reserves tokens, refuses what does not fit, and settles to the tokens used", async () => {
    const scope = "key:tokens";
    const scopes = [{ scope, rpm: 0, tpm: 1000, concurrency: 0 }];
    const t0 = Date.now();
    const first = await admit(scopes, t0, 400, "tok-1");
    assert.ok(first.allowed);
    assert.deepEqual(first.tokens, { limit: 1000, remaining: 600, resetMs: W });
    assert.ok((await admit(scopes, t0 + 1, 400, "tok-2")).allowed);
    const refused = await admit(scopes, t0 + 2, 400);
    assert.ok(!refused.allowed);
    assert.equal(refused.reason, "tokens");
    assert.equal(refused.retryAfterMs, W - 2, "the first reservation leaving frees enough");
    const tooLarge = await admit(scopes, t0 + 3, 1001);
    assert.ok(!tooLarge.allowed);
    assert.equal(tooLarge.reason, "too_large");
    // The first request used 50 of its 400: the rest is free again.
    await settle("tok-1", [scope], 400, 50, t0, t0 + 100);
    const after = await admit(scopes, t0 + 101, 400, "tok-3");
    assert.ok(after.allowed);
    assert.equal(after.tokens?.remaining, 1000 - 50 - 400 - 400);
    // Settling twice (a redelivered event) changes nothing.
    await settle("tok-1", [scope], 400, 50, t0, t0 + 102);
    assert.equal((await admit(scopes, t0 + 103, 151)).allowed, false);
    assert.equal((await admit(scopes, t0 + 104, 150)).allowed, true);
  });

  it("ends a concurrency slot at settlement, or at the request's deadline", async () => {
    const scope = "key:conc";
    const scopes = [{ scope, rpm: 0, tpm: 0, concurrency: 2 }];
    const t0 = Date.now();
    assert.ok((await admit(scopes, t0, 0, "c-1")).allowed);
    assert.ok(
      (await limiter.admit({ requestId: "c-2", scopes, reserveTokens: 0, deadlineUnixMs: t0 + 500, now: t0 }))
        .allowed,
    );
    const refused = await admit(scopes, t0 + 1);
    assert.ok(!refused.allowed);
    assert.equal(refused.reason, "concurrency");
    await settle("c-1", [scope], 0, 0, t0, t0 + 2);
    assert.ok((await admit(scopes, t0 + 3, 0, "c-3")).allowed, "c-1's slot ended at settlement");
    assert.ok(!(await admit(scopes, t0 + 4)).allowed);
    assert.ok((await admit(scopes, t0 + 501)).allowed, "c-2 never settled: its slot ended at its deadline");
  });

  it("takes a request from every limit that applies, or from none", async () => {
    const key = { scope: "key:member", rpm: 10, tpm: 0, concurrency: 0 };
    const team = { scope: "team:small", rpm: 2, tpm: 0, concurrency: 0 };
    const t0 = Date.now();
    assert.ok((await admit([key, team], t0)).allowed);
    const second = await admit([key, team], t0 + 1);
    assert.ok(second.allowed);
    assert.deepEqual(
      second.requests,
      { limit: 2, remaining: 0, resetMs: W },
      "the tightest limit is reported",
    );
    const refused = await admit([key, team], t0 + 2);
    assert.ok(!refused.allowed);
    assert.equal(refused.scope, "team:small");
    // The key's own log did not count the refused request.
    const alone = await admit([key], t0 + 3);
    assert.ok(alone.allowed);
    assert.equal(alone.requests?.remaining, 10 - 3);
  });

  it("counts a request admitted again (sent once more after a lost replica) once", async () => {
    const scopes = [{ scope: "key:again", rpm: 1, tpm: 0, concurrency: 0 }];
    const t0 = Date.now();
    assert.ok((await admit(scopes, t0, 0, "same")).allowed);
    assert.ok((await admit(scopes, t0 + 1, 0, "same")).allowed);
    assert.ok(!(await admit(scopes, t0 + 2, 0, "other")).allowed);
  });
});

// The meter's settlement: usage events from JetStream become per-key monthly counters in Redis,
// exactly once per request even when an event is delivered again, and a bad event does not
// stop the ones after it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { create, toBinary } from "@bufbuild/protobuf";
import { jetstream } from "@nats-io/jetstream";
import { subjects } from "@switchyard/common";
import { UsageEventBatchSchema, UsageEventSchema, UsageSchema, type UsageEvent } from "@switchyard/proto";
import { Redis } from "ioredis";
import OpenAI from "openai";
import { testStack } from "./harness/env.js";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";
import { readUsageEvents } from "./harness/usage-events.js";

describe("settlement", () => {
  let gw: GatewayUnderTest;
  let redis: Redis;
  let hash: string;
  const counters = async (): Promise<Record<string, number>> =>
    Object.fromEntries(Object.entries(await redis.hgetall(hash)).map(([k, v]) => [k, Number(v)]));
  /** Waits until the key's request count reaches `n` (settlement is asynchronous). */
  const settledTo = async (n: number): Promise<Record<string, number>> => {
    for (let i = 0; i < 100; i++) {
      const c = await counters();
      if ((c.requests ?? 0) >= n) return c;
      await sleep(50);
    }
    return counters();
  };
  const publish = (data: Uint8Array, msgID: string) =>
    jetstream(gw.nc).publish(subjects(gw.prefix).usageEvents, data, { msgID });
  /** One event in a batch of its own, as a stage publishes it. */
  const batchOf = (event: UsageEvent, batchId: string): Uint8Array =>
    toBinary(UsageEventBatchSchema, create(UsageEventBatchSchema, { batchId, events: [event] }));
  const devEvent = (requestId: string, promptTokens: number, costNanoUsd: bigint): UsageEvent =>
    create(UsageEventSchema, {
      requestId,
      keyId: "dev",
      finishedUnixMs: BigInt(Date.now()),
      usage: create(UsageSchema, { promptTokens, completionTokens: 3 }),
      costNanoUsd,
    });

  before(async () => {
    gw = await startGateway();
    redis = new Redis(testStack().redisUrl);
    hash = `${gw.prefix}:usage:dev:${new Date().toISOString().slice(0, 7)}`;
  });
  after(async () => {
    redis?.disconnect();
    await gw?.stop();
  });

  it("adds each finished request's tokens and cost to its key's monthly counters", async () => {
    const client = new OpenAI({ baseURL: gw.httpUrl, apiKey: KEYS.dev, maxRetries: 0 });
    for (let i = 0; i < 5; i++)
      await client.chat.completions.create({
        model: "mock-gpt",
        messages: [{ role: "user", content: `n${i}` }],
      });
    const c = await settledTo(5);
    assert.equal(c.requests, 5);
    const events = (await readUsageEvents(gw.nc, gw.prefix)).filter((e) => e.keyId === "dev");
    assert.equal(events.length, 5);
    const sum = (f: (e: (typeof events)[number]) => number | bigint): number =>
      events.reduce((a, e) => a + Number(f(e)), 0);
    assert.equal(
      c.prompt_tokens,
      sum((e) => e.usage?.promptTokens ?? 0),
    );
    assert.equal(
      c.completion_tokens,
      sum((e) => e.usage?.completionTokens ?? 0),
    );
    assert.equal(
      c.cost_nano_usd,
      sum((e) => e.costNanoUsd),
    );
    assert.ok((c.cost_nano_usd ?? 0) > 0);
  });

  it("settles a batch of several events in one go", async () => {
    const before = await counters();
    const events = [devEvent("settle-b1", 2, 20n), devEvent("settle-b2", 3, 30n)];
    const data = toBinary(UsageEventBatchSchema, create(UsageEventBatchSchema, { batchId: "b", events }));
    await publish(data, "settle-batch");
    const after = await settledTo((before.requests ?? 0) + 2);
    assert.equal(after.requests, (before.requests ?? 0) + 2);
    assert.equal(after.prompt_tokens, (before.prompt_tokens ?? 0) + 5);
    assert.equal(after.cost_nano_usd, (before.cost_nano_usd ?? 0) + 50);
  });

  it("counts an event delivered again only once", async () => {
    const [first] = (await readUsageEvents(gw.nc, gw.prefix)).filter((e) => e.keyId === "dev");
    assert.ok(first);
    const before = await counters();
    // A different Nats-Msg-Id gets past JetStream's de-duplication, as a redelivery would.
    await publish(batchOf(first, `${first.requestId}-again`), `${first.requestId}-again`);
    // A bad message between them must not hold up the good one after it.
    await publish(new Uint8Array([0xff, 0xff, 0xff]), "settle-garbage");
    await publish(batchOf(devEvent("settle-fresh", 7, 1000n), "settle-fresh"), "settle-fresh");
    const after = await settledTo((before.requests ?? 0) + 1);
    assert.equal(after.requests, (before.requests ?? 0) + 1);
    assert.equal(after.prompt_tokens, (before.prompt_tokens ?? 0) + 7);
    assert.equal(after.cost_nano_usd, (before.cost_nano_usd ?? 0) + 1000);
    // Settlement is in order: once a last event is counted, nothing published before it can
    // still change the counters.
    await publish(batchOf(devEvent("settle-last", 1, 1n), "settle-last"), "settle-last");
    const last = await settledTo((after.requests ?? 0) + 1);
    assert.deepEqual(last, {
      requests: (after.requests ?? 0) + 1,
      prompt_tokens: (after.prompt_tokens ?? 0) + 1,
      completion_tokens: (after.completion_tokens ?? 0) + 3,
      cost_nano_usd: (after.cost_nano_usd ?? 0) + 1,
    });
  });
});

// A provider replica killed while it holds many slow requests: ingress notices within a second
// (the replica's heartbeats stop), sends each of those requests once more, and they succeed on
// the other replica. Nothing waits for its deadline, each request leaves one usage event, and
// the meter counts each request once, the second pass included.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { limitKeys } from "@switchyard/meter/limits";
import { testStack } from "./harness/env.js";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";
import { waitForUsageEvents } from "./harness/usage-events.js";

const REQUESTS = 60;
const UPSTREAM_MS = 1500;

async function providerInFlight(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/switchyard_stage_in_flight\{stage="provider"[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
}

describe("a provider replica lost under load", () => {
  let gw: GatewayUnderTest;
  before(async () => {
    gw = await startGateway({ replicas: { provider: 2 }, limitedRpm: 10_000 });
  });
  after(() => gw?.stop());

  it("sends the requests it held again within 2 s; they succeed once, with one usage event each", async () => {
    const results = Array.from({ length: REQUESTS }, async (_, i) => {
      const t0 = Date.now();
      const res = await fetch(`${gw.httpUrl}/chat/completions`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${KEYS.limited}`,
          "content-type": "application/json",
          "x-request-id": `loss-${i}`,
        },
        body: JSON.stringify({
          model: "mock-gpt",
          messages: [{ role: "user", content: `slow [marker:loss-${i}] [mock:latency=${UPSTREAM_MS}]` }],
        }),
      });
      await res.body?.cancel();
      return { id: `loss-${i}`, status: res.status, endedAt: Date.now(), startedAt: t0 };
    });

    // Kill the replica that holds more of them, once both hold everything.
    const [a, b] = gw.procs("provider");
    let held: [number, number] = [0, 0];
    for (let i = 0; i < 50 && held[0] + held[1] < REQUESTS; i++) {
      await sleep(100);
      held = [await providerInFlight(a!.metricsPort), await providerInFlight(b!.metricsPort)];
    }
    const [victim, count] = held[0] >= held[1] ? [a!, held[0]] : [b!, held[1]];
    assert.ok(count >= 20, `the killed replica holds ${count} requests (${held.join(" / ")})`);
    const killedAt = Date.now();
    await gw.cluster.stopProcess(victim, "SIGKILL");
    const outcomes = await Promise.all(results);

    assert.deepEqual(
      outcomes.filter((o) => o.status !== 200),
      [],
      "every request succeeded, those the dead replica held through the other",
    );
    // Each request the dead replica held reached the upstream a second time, within 2 s of the
    // kill (noticing the loss, and sending it through the pipeline again).
    const calls = new Map<string, number[]>();
    for (const r of gw.mock.requests()) {
      if (r.marker?.startsWith("loss-"))
        calls.set(r.marker, [...(calls.get(r.marker) ?? []), Date.parse(r.startedAt)]);
    }
    const resent = [...calls].filter(([, starts]) => starts.length === 2);
    assert.equal(resent.length, count, "the dead replica's requests, each sent once more");
    let slowest = 0;
    for (const [marker, starts] of resent) {
      const waited = starts[1]! - killedAt;
      slowest = Math.max(slowest, waited);
      assert.ok(waited <= 2000, `${marker} was sent again ${waited} ms after the kill`);
    }
    assert.ok([...calls.values()].every((s) => s.length <= 2));
    // And so no request waited for its deadline: each ended by the kill + 2 s + the upstream.
    for (const o of outcomes)
      assert.ok(o.endedAt - killedAt <= 2000 + UPSTREAM_MS + 500, `${o.id} ended late`);

    const ids = outcomes.map((o) => o.id);
    const events = (await waitForUsageEvents(gw.nc, gw.prefix, ids)).filter((e) => ids.includes(e.requestId));
    assert.equal(events.length, REQUESTS, "one usage event per request that succeeded");
    assert.ok(events.every((e) => e.status === "ok"));
    assert.equal(events.filter((e) => e.retries === 1).length, count);

    // The meter counted each request once, though the resent ones passed it twice.
    const redis = new Redis(testStack().redisUrl);
    try {
      // The key's sliding-window log holds one entry per admitted request.
      const counted = await redis.zcard(limitKeys(gw.prefix, "key:limited")[0]);
      assert.equal(counted, REQUESTS);
    } finally {
      redis.disconnect();
    }
    console.log(
      `killed replica held ${count} of ${REQUESTS}; the last was sent again ${slowest} ms after the kill`,
    );
  });

  it("ends a stream that already reached the client with a retryable error event, at once", async () => {
    await gw.cluster.waitReady(await gw.cluster.start("provider"), 60_000);
    const streams = Array.from({ length: 12 }, async (_, i) => {
      const res = await fetch(`${gw.httpUrl}/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${KEYS.dev}`, "content-type": "application/json" },
        body: JSON.stringify({
          model: "mock-gpt",
          stream: true,
          messages: [{ role: "user", content: `stream ${i} [mock:ttft=20,gap=150,words=40]` }],
        }),
      });
      const text = await res.text();
      return { ended: Date.now(), done: text.includes("[DONE]"), error: /"code":"(\w+)"/.exec(text)?.[1] };
    });
    await sleep(600);
    const live = gw.procs("provider").filter((p) => p.child.exitCode === null && p.child.signalCode === null);
    const counts = await Promise.all(live.map((p) => providerInFlight(p.metricsPort)));
    const victim = live[counts.indexOf(Math.max(...counts))]!;
    const killedAt = Date.now();
    await gw.cluster.stopProcess(victim, "SIGKILL");
    const ends = await Promise.all(streams);
    const cut = ends.filter((e) => !e.done);
    assert.equal(cut.length, Math.max(...counts), "the dead replica's streams, and only those, were cut");
    for (const e of cut) {
      assert.equal(e.error, "unavailable");
      assert.ok(e.ended - killedAt <= 2000, `a cut stream ended ${e.ended - killedAt} ms after the kill`);
    }
  });
});

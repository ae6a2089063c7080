// Two replicas of a stage; one is killed (SIGKILL) mid-load. New requests keep succeeding on the
// survivor; requests the dead replica held end by their deadline with a retryable error.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";

interface Outcome {
  startedAt: number;
  endedAt: number;
  status: number;
  code: string;
}

const DEADLINE_MS = 2000;

describe("killing a replica under load", () => {
  let gw: GatewayUnderTest;
  before(async () => {
    gw = await startGateway({ replicas: { provider: 2, guard: 2 } });
  });
  after(() => gw?.stop());

  async function one(): Promise<Outcome> {
    const startedAt = Date.now();
    const res = await fetch(`${gw.httpUrl}/chat/completions`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${KEYS.dev}`,
        "content-type": "application/json",
        "x-request-timeout": String(DEADLINE_MS),
      },
      body: JSON.stringify({
        model: "mock-gpt",
        messages: [{ role: "user", content: "load [mock:latency=150]" }],
      }),
      signal: AbortSignal.timeout(DEADLINE_MS + 3000),
    });
    const body = (await res.json()) as { error?: { code?: string } };
    return { startedAt, endedAt: Date.now(), status: res.status, code: body.error?.code ?? "" };
  }

  it("keeps serving and ends the lost requests with a retryable error by their deadline", async () => {
    const outcomes: Outcome[] = [];
    const stopAt = Date.now() + 4000;
    let killedAt = 0;
    const workers = Array.from({ length: 16 }, async () => {
      while (Date.now() < stopAt) outcomes.push(await one());
    });
    await sleep(1200);
    const victim = gw.procs("provider")[0]!;
    killedAt = Date.now();
    await gw.cluster.stopProcess(victim, "SIGKILL");
    await Promise.all(workers);

    const before = outcomes.filter((o) => o.endedAt < killedAt);
    const after = outcomes.filter((o) => o.startedAt > killedAt + 300);
    const failed = outcomes.filter((o) => o.status !== 200);
    assert.ok(before.length > 20 && before.every((o) => o.status === 200), "all good before the kill");
    assert.ok(after.length > 20, `requests after the kill: ${after.length}`);
    assert.ok(
      after.every((o) => o.status === 200),
      `after the kill: ${JSON.stringify(after.filter((o) => o.status !== 200))}`,
    );
    // The kill must have hit requests in flight, or this test checked nothing about them.
    assert.ok(failed.length > 0, "the killed replica held no request");
    for (const o of failed) {
      assert.equal(o.status, 504, `lost request answered ${o.status} ${o.code}`);
      assert.equal(o.code, "deadline_exceeded");
      assert.ok(o.endedAt - o.startedAt <= DEADLINE_MS + 500, "ended by its deadline");
    }
    console.log(`requests: ${outcomes.length}, lost on the killed replica: ${failed.length}`);
  });
});

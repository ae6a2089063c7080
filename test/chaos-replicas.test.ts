// Two replicas of the provider and the guard; a provider replica is killed (SIGKILL) under
// steady load. New requests keep succeeding on the survivor, and the requests the dead replica
// held are sent again by ingress and succeed too: nothing ends with an error or waits for its
// deadline. (npm run chaos kills a replica of every stage; see docs/reliability.md.)
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";

interface Outcome {
  startedAt: number;
  endedAt: number;
  status: number;
}

const DEADLINE_MS = 5000;

async function lostCount(gw: GatewayUnderTest): Promise<number> {
  const [ingress] = gw.procs("ingress");
  const text = await (await fetch(`http://127.0.0.1:${ingress!.metricsPort}/metrics`)).text();
  return Number(/switchyard_requests_lost_total\{outcome="retried"[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
}

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
    await res.body?.cancel();
    return { startedAt, endedAt: Date.now(), status: res.status };
  }

  it("keeps serving, and the requests the dead replica held succeed on the other", async () => {
    const outcomes: Outcome[] = [];
    const stopAt = Date.now() + 5000;
    const workers = Array.from({ length: 16 }, async () => {
      while (Date.now() < stopAt) outcomes.push(await one());
    });
    await sleep(1500);
    const lostBefore = await lostCount(gw);
    const killedAt = Date.now();
    await gw.cluster.stopProcess(gw.procs("provider")[0]!, "SIGKILL");
    await Promise.all(workers);

    const resent = (await lostCount(gw)) - lostBefore;
    const ended = outcomes.filter((o) => o.endedAt < killedAt).length;
    const started = outcomes.filter((o) => o.startedAt > killedAt).length;
    assert.ok(ended > 20 && started > 20, `requests before the kill: ${ended}, after: ${started}`);
    assert.deepEqual(
      outcomes.filter((o) => o.status !== 200),
      [],
      "no request failed, those the dead replica held included",
    );
    // The kill must have hit requests in flight, or this test checked nothing about them.
    assert.ok(resent > 0, "the killed replica held no request");
    for (const o of outcomes) assert.ok(o.endedAt - o.startedAt < 2500, "nothing waited long");
    console.log(`requests: ${outcomes.length}, sent again after the kill: ${resent}`);
  });
});

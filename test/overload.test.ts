// Each stage bounds its in-flight work and answers UNAVAILABLE (HTTP 503) at once when full,
// instead of queueing without bound: ingress for the requests it holds, and a stage process
// behind it for the envelopes it holds.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";

async function send(gw: GatewayUnderTest, content: string) {
  const t0 = Date.now();
  const res = await fetch(`${gw.httpUrl}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEYS.dev}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "mock-gpt", messages: [{ role: "user", content }] }),
  });
  const body = (await res.json()) as { error?: { code: string; message: string } };
  return { status: res.status, ms: Date.now() - t0, code: body.error?.code, message: body.error?.message };
}

/** Eight slow requests at once against a bound of two: two served, six shed at once. */
async function burst(gw: GatewayUnderTest, where: RegExp): Promise<void> {
  const results = await Promise.all(
    Array.from({ length: 8 }, (_, i) => send(gw, `busy ${i} [mock:latency=800]`)),
  );
  const shed = results.filter((r) => r.status === 503);
  assert.equal(results.filter((r) => r.status === 200).length, 2, JSON.stringify(results));
  assert.equal(shed.length, 6);
  for (const r of shed) {
    assert.equal(r.code, "unavailable");
    assert.match(r.message ?? "", where);
    assert.ok(r.ms < 500, `shed at once, took ${r.ms} ms`);
  }
  assert.equal((await send(gw, "after the burst")).status, 200);
}

describe("load shedding", () => {
  const where = [
    { name: "ingress", service: "ingress", message: /ingress is overloaded/ },
    { name: "a stage process (provider)", service: "provider", message: /stage provider is overloaded/ },
  ] as const;
  for (const { name, service, message } of where) {
    describe(`at ${name}`, () => {
      let gw: GatewayUnderTest;
      before(async () => {
        gw = await startGateway({ serviceEnv: { [service]: { SWITCHYARD_MAX_IN_FLIGHT: "2" } } });
      });
      after(() => gw?.stop());

      it("answers 503 at once past its in-flight bound, and serves again after", async () => {
        await burst(gw, message);
      });
    });
  }
});

// Each stage bounds its in-flight work and answers UNAVAILABLE (HTTP 503) at once when full,
// instead of queueing without bound.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";

describe("load shedding", () => {
  let gw: GatewayUnderTest;
  before(async () => {
    gw = await startGateway({ env: { SWITCHYARD_MAX_IN_FLIGHT: "2" } });
  });
  after(() => gw?.stop());

  it("answers 503 at once past the in-flight bound, and serves again after", async () => {
    const send = async (content: string) => {
      const t0 = Date.now();
      const res = await fetch(`${gw.httpUrl}/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${KEYS.dev}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "mock-gpt", messages: [{ role: "user", content }] }),
      });
      const body = (await res.json()) as { error?: { code: string } };
      return { status: res.status, ms: Date.now() - t0, code: body.error?.code };
    };
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => send(`busy ${i} [mock:latency=800]`)),
    );
    const shed = results.filter((r) => r.status === 503);
    assert.equal(results.filter((r) => r.status === 200).length, 2, JSON.stringify(results));
    assert.equal(shed.length, 6);
    for (const r of shed) {
      assert.equal(r.code, "unavailable");
      assert.ok(r.ms < 500, `shed at once, took ${r.ms} ms`);
    }
    assert.equal((await send("after the burst")).status, 200);
  });
});

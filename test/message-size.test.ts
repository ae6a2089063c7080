// Requests as large as the body limit allows travel the pipeline, and one larger than the bus
// carries is refused with 413, not a crash or a hang.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";

describe("message sizes", () => {
  let gw: GatewayUnderTest;
  before(async () => {
    // A body limit above the test NATS's max_payload (12 MB), to reach the bus's limit.
    gw = await startGateway({ env: { SWITCHYARD_MAX_BODY_BYTES: String(16 * 1024 * 1024) } });
  });
  after(() => gw?.stop());

  const post = (content: string) =>
    fetch(`${gw.httpUrl}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEYS.dev}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "mock-gpt", messages: [{ role: "user", content }], max_tokens: 4 }),
    });

  it("counts parsing a 1 MB body in ingress's part of the timing", async () => {
    const ingressMs = async (content: string): Promise<number> => {
      const res = await post(content);
      assert.equal(res.status, 200);
      await res.body?.cancel();
      const m = /ingress;dur=([\d.]+)/.exec(res.headers.get("x-switchyard-timing") ?? "");
      return Number(m?.[1]);
    };
    const best = async (content: string): Promise<number> => {
      let ms = Infinity;
      for (let i = 0; i < 3; i++) ms = Math.min(ms, await ingressMs(content));
      return ms;
    };
    await best("warm up"); // the first requests also compile the code on the path
    const small = await best("hi");
    const large = await best("x ".repeat(512 * 1024));
    // Reading JSON and validating a megabyte takes milliseconds, which a tiny body does not.
    assert.ok(large - small > 0.5 && large > 2 * small, `1 MB: ${large} ms, tiny: ${small} ms`);
  });

  it("carries a prompt of 8 MiB through every stage", async () => {
    const res = await post("x".repeat(8 * 1024 * 1024));
    assert.equal(res.status, 200, await res.clone().text());
    await res.body?.cancel();
  });

  it("answers 413 when the envelope is larger than NATS carries, and stays up", async () => {
    const res = await post("x".repeat(13 * 1024 * 1024));
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(res.status, 413);
    assert.equal(body.error.code, "payload_too_large");
    assert.match(body.error.message, /max_payload/);
    const again = await post("hello");
    assert.equal(again.status, 200);
    await again.body?.cancel();
  });
});

// The guard on the real stack: adversarial prompts of a megabyte are screened in linear time
// and reach the MOCK upstream; a screening of seconds does not stop the guard replica reporting
// the request (it is not given up for lost and sent again) nor serving others; a screening
// past its time budget ends by the fail mode, with a clear error and a metric.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { adversarialInputs, denseSpecimens, repeatTo } from "@switchyard/guard/testing";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";
import { mockCallsFrom } from "./harness/mock-seen.js";

let n = 0;

function post(gw: GatewayUnderTest, content: string): Promise<Response> {
  return fetch(`${gw.httpUrl}/chat/completions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${KEYS.dev}`,
      "content-type": "application/json",
      "x-request-id": `guard-${n++}`,
    },
    body: JSON.stringify({ model: "mock-gpt", messages: [{ role: "user", content }], max_tokens: 4 }),
  });
}

/** The sum of a process's metric series that match `series` (name and labels); 0 with none. */
async function metricOf(port: number, series: RegExp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${series.source} (\\S+)$`, "gm"))) sum += Number(m[1]);
  return sum;
}

/** The guard's part of `x-switchyard-timing`, in ms. */
function guardMs(res: Response): number {
  const m = /(?:^|, )guard;dur=([\d.]+)/.exec(res.headers.get("x-switchyard-timing") ?? "");
  assert.ok(m?.[1], `no guard timing in ${res.headers.get("x-switchyard-timing")}`);
  return Number(m[1]);
}

describe("guard: linear time on the real stack", () => {
  let gw: GatewayUnderTest;
  before(async () => {
    // Findings only flagged (emails redacted), so every input goes through to the upstream; a
    // budget past what a megabyte packed with findings takes, so the timings are the scan's.
    gw = await startGateway({
      guard: { email: "redact", card_number: "flag", prompt_injection: "flag", budget_ms: 2000 },
    });
  });
  after(() => gw?.stop());

  /** The guard's best stage time over up to three tries of each input, failing those over `limitMs`. */
  async function screenAll(inputs: [string, string][], limitMs: number): Promise<void> {
    const slow: string[] = [];
    for (const [name, text] of inputs) {
      // The best of up to three tries: one busy moment of a shared machine decides nothing.
      let best = Infinity;
      for (let attempt = 0; attempt < 3 && best > limitMs; attempt++) {
        const marker = `adv-${n}`;
        const res = await post(gw, `[marker:${marker}] ${text}`);
        const answer = await res.text();
        assert.equal(res.status, 200, `${name}: ${answer}`);
        best = Math.min(best, guardMs(res));
        const seen = gw.mock.requests().find((r) => r.marker === marker);
        assert.ok(seen, `${name}: the upstream did not receive the request`);
        // Emails are redacted (shorter); everything else arrives whole.
        if (!name.includes("email"))
          assert.ok(seen.bodyBytes > text.length, `${name}: ${seen.bodyBytes} bytes`);
      }
      if (best > limitMs) slow.push(`${name}: ${best.toFixed(1)} ms`);
    }
    assert.deepEqual(slow, []);
  }

  // The whole layer screens each of these in ≤ 50 ms on an idle machine (detectors.spec.ts,
  // 12–42 ms); this stage time is wall time on a shared host whose speed swings 2–2.5×, with
  // the megabyte's decoding besides: held to 120 ms (docs/guard.md, "Measured").
  it("screens each adversarial prompt of 1 MB in at most 120 ms and passes it upstream", async () => {
    await screenAll(adversarialInputs(1 << 20), 120);
  });

  it("screens a megabyte packed with findings (50,000 emails to redact) within the default budget", async () => {
    // The stage's time here includes decoding and re-encoding the megabyte it rewrites, and up
    // to 260,000 findings (4 µs each: finding, scoring, mapping back, counting).
    await screenAll(denseSpecimens(1 << 20), 1000);
  });
});

describe("guard: a screening of seconds", () => {
  let gw: GatewayUnderTest;
  before(async () => {
    // Injections only flagged, so the prompt goes through; a budget past any screening here.
    gw = await startGateway({ guard: { prompt_injection: "flag", budget_ms: 60_000 } });
  });
  after(() => gw?.stop());

  it("keeps reporting the request (not lost, not sent twice) and answers others meanwhile", async () => {
    const [guard] = gw.procs("guard");
    const [ingress] = gw.procs("ingress");
    const marker = `long-${n}`;
    // 7.5 MiB of markdown images (just under the body limit): a finding every 15 characters,
    // about a second of screening here, past the 800 ms after which the ingress gives up on a
    // request no replica reported (6 MiB took 0.79 s once on a quiet machine: too close).
    const large = post(gw, `[marker:${marker}] ${repeatTo("![a](http://x/?", 7.5 * (1 << 20))}`).then(
      async (res) => ({ res, body: await res.text(), at: performance.now() }),
    );
    // While the guard screens it (its metrics answer: its event loop turns), a small request.
    let held = 0;
    for (let i = 0; i < 100 && held === 0; i++) {
      await sleep(50);
      held = await metricOf(guard!.metricsPort, /switchyard_stage_in_flight\{stage="guard"[^}]*\}/);
    }
    assert.equal(held, 1, "the guard reports the large request while it screens it");
    const small = await post(gw, "hello");
    assert.equal(small.status, 200, await small.text());
    const smallAt = performance.now();

    const { res, body, at } = await large;
    assert.equal(res.status, 200, body.slice(0, 500));
    assert.ok(guardMs(res) > 800, `screened in ${guardMs(res)} ms: longer than the loss window`);
    assert.ok(smallAt < at, "the small request was answered while the large one was screened");
    const calls = gw.mock.requests().filter((r) => r.marker === marker);
    assert.equal(calls.length, 1, "the upstream got the large request once");
    const lost = /switchyard_requests_lost_total\{[^}]*\}/;
    assert.equal(await metricOf(ingress!.metricsPort, lost), 0, "no request given up for lost");
  });
});

describe("guard: time budget", () => {
  let gw: GatewayUnderTest;
  before(async () => {
    gw = await startGateway({ guard: { budget_ms: 5, fail_mode: "closed" } });
  });
  after(() => gw?.stop());

  it("fails closed: a request it cannot screen in time is blocked, named, and counted", async () => {
    const upstream = mockCallsFrom(gw);
    // About 100 ms of scanning: well past the budget on any machine.
    const res = await post(gw, repeatTo("a@b.", 4 << 20));
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, "blocked");
    assert.match(body.error.message, /time budget of 5 ms/);
    assert.deepEqual(upstream(), [], "nothing reached the upstream");

    const [guard] = gw.procs("guard");
    const metrics = await (await fetch(`http://127.0.0.1:${guard!.metricsPort}/metrics`)).text();
    assert.match(metrics, /switchyard_guard_budget_exceeded_total\{fail_mode="closed"[^}]*\} 1/);
  });

  it("passes small requests well within even a tight budget", async () => {
    const res = await post(gw, "hello");
    const answer = await res.text();
    assert.equal(res.status, 200, answer);
  });
});

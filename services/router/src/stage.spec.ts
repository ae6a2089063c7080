import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { Flight, type DeploymentStats, type RouteStatsView } from "@switchyard/common";
import { ChatRequestSchema, CircuitRecordSchema, CircuitState, type Envelope } from "@switchyard/proto";
import { createRouterStage, type RouterStageDeps } from "./stage.js";
import { catalogOf, envelopeOf, seeded } from "./testing.js";

const known = (p95Ms: number, extra: Partial<DeploymentStats> = {}): DeploymentStats => ({
  samples: 50,
  p50Ms: p95Ms * 0.8,
  p95Ms,
  p99Ms: p95Ms * 1.1,
  decayedMs: p95Ms * 0.8,
  historyP95Ms: p95Ms,
  historyMs: p95Ms * 0.8,
  decayedTtftMs: Number.NaN,
  ttftP95Ms: Number.NaN,
  attempts: 50,
  failed: 0,
  throttled: 0,
  errorRate: 0,
  inFlight: 0,
  ...extra,
});

/** A view with fixed statistics, circuits and cooldowns. */
function fixedView(
  stats: Record<string, DeploymentStats>,
  circuits: Record<string, "open" | "half_open"> = {},
  cooling: string[] = [],
): RouteStatsView {
  return {
    stats: (d) => stats[d] ?? known(Number.NaN, { samples: 0 }),
    windows: () => [],
    circuit: (d) => ({
      phase: circuits[d] ?? "closed",
      record: create(CircuitRecordSchema, { state: CircuitState.OPEN }),
      revision: 1,
    }),
    cooldownUntil: (d) => (cooling.includes(d) ? Date.now() + 1000 : 0),
    setCircuit: () => Promise.resolve(true),
    deployments: () => [],
    ready: Promise.resolve(),
    close: () => {},
  };
}

async function route(deps: RouterStageDeps, env: Envelope = envelopeOf()): Promise<Envelope> {
  const flight = Flight.fromBody(env, { chat: create(ChatRequestSchema, { model: env.model }) });
  await createRouterStage(deps)(flight);
  return env;
}

const firstOf = async (deps: RouterStageDeps, env?: Envelope): Promise<string> =>
  (await route(deps, env)).route!.deployments[0]!.id;

const prices = {
  premium: { input_usd_per_mtok: 2.5, output_usd_per_mtok: 10 },
  standard: { input_usd_per_mtok: 0.6, output_usd_per_mtok: 2.4 },
  budget: { input_usd_per_mtok: 0.15, output_usd_per_mtok: 0.6 },
};
const three = Object.entries(prices).map(([id, p]) => ({ id, ...p }));

describe("router policies", () => {
  it("pinned keeps config order and says so", async () => {
    const env = await route({ catalog: catalogOf(three) });
    assert.deepEqual(
      env.route!.deployments.map((d) => d.id),
      ["premium", "standard", "budget"],
    );
    assert.equal(env.route!.policy, "pinned");
    assert.equal(env.route!.reason, "pinned order");
  });

  it("weighted 90/10 lands within 3% over 2,000 requests, and sticky keeps a key on one side", async () => {
    const catalog = catalogOf(
      [
        { id: "a", weight: 90 },
        { id: "b", weight: 10 },
      ],
      { policy: "weighted" },
    );
    const stage = { catalog, random: seeded(7) };
    let a = 0;
    for (let i = 0; i < 2000; i++) if ((await firstOf(stage)) === "a") a++;
    assert.ok(Math.abs(a / 2000 - 0.9) <= 0.03, `a got ${a} of 2000`);

    const sticky = catalogOf(
      [
        { id: "a", weight: 50 },
        { id: "b", weight: 50 },
      ],
      { policy: "weighted", sticky: "key" },
    );
    const sides = new Map<string, Set<string>>();
    for (let k = 0; k < 200; k++)
      for (let i = 0; i < 5; i++) {
        const keyId = `key-${k}`;
        const first = await firstOf({ catalog: sticky, random: Math.random }, envelopeOf({ keyId }));
        if (!sides.has(keyId)) sides.set(keyId, new Set());
        sides.get(keyId)!.add(first);
      }
    assert.ok(
      [...sides.values()].every((s) => s.size === 1),
      "a key moved sides",
    );
    const onA = [...sides.values()].filter((s) => s.has("a")).length;
    assert.ok(onA > 70 && onA < 130, `keys split ${onA}/200`);
  });

  it("cheapest takes the cheapest within objectives, and the fastest when none is", async () => {
    const catalog = catalogOf(three, { policy: "cheapest", objectives: { p95_vs_fastest: 2 } });
    const view = fixedView({ premium: known(100), standard: known(150), budget: known(180) });
    const env = await route({ catalog, view, random: seeded(1) });
    assert.deepEqual(
      env.route!.deployments.map((d) => d.id),
      ["budget", "standard", "premium"],
    );
    assert.equal(env.route!.reason, "cheapest within objectives");
    // budget is slow now (p95 > 2 × 100 ms): standard is the cheapest within.
    const slow = fixedView({ premium: known(100), standard: known(150), budget: known(450) });
    const env2 = await route({ catalog, view: slow, random: seeded(1) });
    assert.equal(env2.route!.deployments[0]!.id, "standard");
    assert.equal(env2.route!.candidates.find((c) => c.deployment === "budget")!.note, "over objectives");
    // Errors count too; and an absolute objective can rule out everyone: then the fastest.
    const failing = fixedView({
      premium: known(100),
      standard: known(150, { errorRate: 0.2 }),
      budget: known(450),
    });
    assert.equal(await firstOf({ catalog, view: failing, random: seeded(1) }), "premium");
    // A deployment with too few recent answers gets one request a second from each router.
    let t = 50_000;
    const quiet = fixedView({
      premium: known(100, { samples: 2, p95Ms: Number.NaN }),
      standard: known(150),
      budget: known(180),
    });
    const exploring = createRouterStage({ catalog, view: quiet, random: seeded(1), now: () => t });
    const next = async (): Promise<Envelope> => {
      const e = envelopeOf();
      await exploring(Flight.fromBody(e, { chat: create(ChatRequestSchema, {}) }));
      return e;
    };
    const explored = await next();
    assert.equal(explored.route!.deployments[0]!.id, "premium");
    assert.equal(explored.route!.reason, "exploring: too few recent answers to judge");
    assert.equal((await next()).route!.deployments[0]!.id, "budget");
    t += 1000;
    assert.equal((await next()).route!.deployments[0]!.id, "premium");
    // Nothing recent, but slow when last used: out of objectives until exploring says otherwise.
    const remembered = fixedView({
      premium: known(100),
      standard: known(150),
      budget: known(Number.NaN, { samples: 0, historyP95Ms: 600 }),
    });
    assert.equal(await firstOf({ catalog, view: remembered, random: seeded(1), now: () => 0 }), "budget");
    const stage = createRouterStage({ catalog, view: remembered, random: seeded(1) });
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const e = envelopeOf();
      await stage(Flight.fromBody(e, { chat: create(ChatRequestSchema, {}) }));
      seen.push(e.route!.deployments[0]!.id);
    }
    assert.deepEqual(seen, ["budget", "standard", "standard"]);
    const strict = catalogOf(three, { policy: "cheapest", objectives: { p95_ms: 50 } });
    const env3 = await route({ catalog: strict, view, random: seeded(2) });
    assert.equal(env3.route!.reason, "no deployment within objectives: fastest");
  });

  it("fastest prefers low decayed latency, loaded by in-flight calls", async () => {
    const catalog = catalogOf(three, { policy: "fastest" });
    const view = fixedView({ premium: known(100), standard: known(300), budget: known(300) });
    const counts = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const first = await firstOf({ catalog, view, random: seeded(i) });
      counts.set(first, (counts.get(first) ?? 0) + 1);
    }
    // Two of three at random: premium is in the pair two times in three, and then wins.
    assert.ok((counts.get("premium") ?? 0) > 170, JSON.stringify([...counts]));
    const busy = fixedView({
      premium: known(100, { inFlight: 20 }),
      standard: known(300),
      budget: known(300),
    });
    assert.notEqual(await firstOf({ catalog, view: busy, random: seeded(3) }), "premium");
  });

  it("least_busy takes the deployment with the fewest calls in flight", async () => {
    const catalog = catalogOf(three, { policy: "least_busy" });
    const view = fixedView({
      premium: known(100, { inFlight: 5 }),
      standard: known(100, { inFlight: 1 }),
      budget: known(100, { inFlight: 3 }),
    });
    assert.equal(await firstOf({ catalog, view }), "standard");
  });

  it("puts open circuits and cooling deployments last, and probes a half-open one once a second", async () => {
    const catalog = catalogOf(three);
    const view = fixedView({}, { premium: "open" }, ["standard"]);
    const env = await route({ catalog, view });
    assert.deepEqual(
      env.route!.deployments.map((d) => d.id),
      ["budget", "premium", "standard"],
    );
    assert.deepEqual(
      env.route!.candidates.map((c) => c.note),
      ["", "circuit open", "cooling down"],
    );
    let t = 10_000;
    const half = { catalog, view: fixedView({}, { premium: "half_open" }), now: () => t };
    const stage = createRouterStage(half);
    const next = async (): Promise<string> => {
      const e = envelopeOf();
      await stage(Flight.fromBody(e, { chat: create(ChatRequestSchema, {}) }));
      return e.route!.deployments[0]!.id;
    };
    assert.equal(await next(), "premium"); // the probe
    assert.equal(await next(), "standard");
    t += 1000;
    assert.equal(await next(), "premium");
  });
});

describe("router conditions", () => {
  const deployments = [
    { id: "small", context_window: 8000, tools: false },
    { id: "large", context_window: 200000 },
    { id: "text-only", images: false },
  ];
  it("sends a long prompt to the deployment whose window holds it", async () => {
    const catalog = catalogOf(deployments);
    const env = await route({ catalog }, envelopeOf({ estimatedPromptTokens: 50_000 }));
    assert.deepEqual(
      env.route!.deployments.map((d) => d.id),
      ["large", "text-only"],
    );
    assert.equal(env.route!.candidates.find((c) => c.deployment === "small")!.note, "context window");
  });

  it("skips deployments without tools or images for requests that have them", async () => {
    const catalog = catalogOf(deployments);
    assert.equal(await firstOf({ catalog }, envelopeOf({ hints: { tools: true } })), "large");
    const env = await route({ catalog }, envelopeOf({ hints: { images: true } }));
    assert.deepEqual(
      env.route!.deployments.map((d) => d.id),
      ["small", "large"],
    );
    const none = catalogOf([{ id: "x", tools: false }]);
    await assert.rejects(route({ catalog: none }, envelopeOf({ hints: { tools: true } })), /accepts tools/);
  });

  it("applies the first route whose condition holds", async () => {
    const catalog = catalogOf(three, {
      routes: [
        { name: "gold", when: { metadata: { tier: "gold" } }, deployments: ["premium"] },
        { name: "acme", when: { tenant: ["acme"] }, deployments: ["standard", "budget"], policy: "cheapest" },
      ],
    });
    const gold = await route({ catalog }, envelopeOf({ hints: { metadata: { tier: "gold" } } }));
    assert.deepEqual(
      gold.route!.deployments.map((d) => d.id),
      ["premium"],
    );
    assert.equal(gold.route!.reason, "route `gold`: pinned order");
    const acme = await route({ catalog, random: seeded(1) }, envelopeOf({ tenantId: "acme" }));
    assert.equal(acme.route!.policy, "cheapest");
    assert.equal(acme.route!.deployments[0]!.id, "budget");
    assert.equal(await firstOf({ catalog }), "premium");
  });

  it("refuses a route naming a deployment the alias lacks, at config load", () => {
    assert.throws(
      () => catalogOf(three, { routes: [{ when: {}, deployments: ["nope"] }] }),
      /no deployment \\"nope\\" in this alias/,
    );
  });
});

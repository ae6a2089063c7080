// Routing from live statistics against the real pipeline (two router replicas, NATS KV) and
// the MOCK provider: weighted splits and sticky keys, conditions on prompt length and tools,
// circuits shared by the router replicas, and the decision in the usage event.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { circuitKey, cooldownKey, openRouteStats } from "@switchyard/common";
import { CircuitRecordSchema, CircuitState } from "@switchyard/proto";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";
import { metric, metricsOf } from "./harness/metrics.js";
import { waitForUsageEvents } from "./harness/usage-events.js";

function addRoutes(file: Record<string, unknown>, mockUrl: string): void {
  const providers = file.providers as Record<string, unknown>;
  const models = file.models as unknown[];
  providers["route-failing"] = {
    type: "openai",
    base_url: `${mockUrl}/_mock/error=500/openai/v1`,
    api_key_env: "MOCK_OPENAI_API_KEY",
  };
  providers["route-slow-failing"] = {
    type: "openai",
    base_url: `${mockUrl}/_mock/latency=60,error=500/openai/v1`,
    api_key_env: "MOCK_OPENAI_API_KEY",
  };
  providers["route-filtering"] = {
    type: "openai",
    base_url: `${mockUrl}/_mock/content_filter=1/openai/v1`,
    api_key_env: "MOCK_OPENAI_API_KEY",
  };
  providers["route-throttled"] = {
    type: "openai",
    base_url: `${mockUrl}/_mock/error=429,retry_after=30/openai/v1`,
    api_key_env: "MOCK_OPENAI_API_KEY",
  };
  providers["route-short-window"] = {
    type: "openai",
    base_url: `${mockUrl}/_mock/context_window=500/openai/v1`,
    api_key_env: "MOCK_OPENAI_API_KEY",
  };
  const dep = (id: string, extra: Record<string, unknown> = {}) => ({
    id,
    provider: "mock-openai",
    model: "mock-gpt",
    input_usd_per_mtok: 0.15,
    output_usd_per_mtok: 0.6,
    ...extra,
  });
  models.push(
    {
      alias: "route-weighted",
      policy: "weighted",
      deployments: [dep("w-ninety", { weight: 90 }), dep("w-ten", { weight: 10 })],
    },
    {
      alias: "route-sticky",
      policy: "weighted",
      sticky: "end_user",
      deployments: [dep("s-left"), dep("s-right")],
    },
    {
      alias: "route-needs",
      deployments: [
        dep("n-small", { context_window: 1000, tools: false }),
        dep("n-large", { context_window: 100_000 }),
      ],
    },
    {
      alias: "route-refusal",
      fallback: { context_window: true },
      // The short one declares no window, so only its upstream's refusal tells.
      deployments: [
        dep("r-short", { provider: "route-short-window" }),
        dep("r-long", { context_window: 200_000 }),
      ],
    },
    {
      alias: "route-content",
      fallback: { content_policy: ["p-alternative"] },
      deployments: [
        dep("p-filtering", { provider: "route-filtering" }),
        dep("p-other"),
        dep("p-alternative"),
      ],
    },
    {
      alias: "route-cooldown",
      deployments: [dep("t-throttled", { provider: "route-throttled" }), dep("t-spare")],
    },
    {
      alias: "route-slow-failure",
      deployments: [dep("f-slow", { provider: "route-slow-failing" })],
    },
    {
      alias: "route-refusal-off",
      deployments: [dep("o-short", { provider: "route-short-window" }), dep("o-long")],
    },
    {
      alias: "route-circuit",
      circuit: { min_requests: 5, failure_ratio: 0.5, open_ms: 60_000 },
      deployments: [dep("c-failing", { provider: "route-failing" }), dep("c-healthy")],
    },
  );
}

interface Answer {
  status: number;
  deployment: string;
  attempts: string;
}

describe("routing from live statistics (two router replicas)", () => {
  let gw: GatewayUnderTest;
  let n = 0;

  async function chat(
    model: string,
    body: Record<string, unknown> = {},
    id = `route-${n++}`,
  ): Promise<Answer> {
    const res = await fetch(`${gw.httpUrl}/chat/completions`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${KEYS.dev}`,
        "content-type": "application/json",
        "x-request-id": id,
      },
      body: JSON.stringify({ model, messages: [{ role: "user", content: "route me" }], ...body }),
    });
    await res.arrayBuffer();
    return {
      status: res.status,
      deployment: res.headers.get("x-switchyard-deployment") ?? "",
      attempts: res.headers.get("x-switchyard-attempts") ?? "",
    };
  }

  before(async () => {
    gw = await startGateway({
      replicas: { router: 2, provider: 2 },
      gatewayFile: (file, { mockUrl }) => addRoutes(file, mockUrl),
    });
  });
  after(async () => {
    await gw?.stop();
  });

  it("splits weighted 90/10 within 3% over 2,000 requests, and records the policy", async () => {
    const counts = new Map<string, number>();
    const ids: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < 2000) {
          next++;
          const id = `weighted-${next}`;
          if (next <= 20) ids.push(id);
          const a = await chat("route-weighted", {}, id);
          assert.equal(a.status, 200);
          counts.set(a.deployment, (counts.get(a.deployment) ?? 0) + 1);
        }
      }),
    );
    const share = (counts.get("w-ninety") ?? 0) / 2000;
    assert.ok(
      Math.abs(share - 0.9) <= 0.03,
      `w-ninety served ${share * 100}%: ${JSON.stringify([...counts])}`,
    );
    // Both routers see the provider's statistics of what they routed.
    for (const p of gw.procs("router")) {
      const text = await metricsOf(p.metricsPort);
      const p95 = metric(text, "switchyard_router_deployment_latency_p95_ms", { deployment: "w-ninety" });
      assert.ok(p95 > 0 && p95 < 5000, `a router's p95 of w-ninety: ${p95}`);
    }
    const events = await waitForUsageEvents(gw.nc, gw.prefix, ids);
    const e = events.find((x) => x.requestId === ids[0])!;
    assert.equal(e.routePolicy, "weighted");
    assert.equal(e.routeReason, "weighted draw");
  });

  it("keeps each end user on one side with sticky weighted routing", async () => {
    const sides = new Map<string, Set<string>>();
    for (let u = 0; u < 40; u++)
      for (let i = 0; i < 3; i++) {
        const a = await chat("route-sticky", { user: `user-${u}` });
        if (!sides.has(`user-${u}`)) sides.set(`user-${u}`, new Set());
        sides.get(`user-${u}`)!.add(a.deployment);
      }
    assert.ok(
      [...sides.values()].every((s) => s.size === 1),
      "an end user moved sides",
    );
    const left = [...sides.values()].filter((s) => s.has("s-left")).length;
    assert.ok(left > 5 && left < 35, `users split ${left}/40`);
  });

  it("sends a long prompt to the large-context deployment, and tools past the one without", async () => {
    assert.equal((await chat("route-needs")).deployment, "n-small");
    const long = "lorem ipsum dolor sit amet ".repeat(400); // ~10,800 characters: > 1,000 tokens
    assert.equal(
      (await chat("route-needs", { messages: [{ role: "user", content: long }] })).deployment,
      "n-large",
    );
    const tools = [{ type: "function", function: { name: "lookup", parameters: { type: "object" } } }];
    assert.equal((await chat("route-needs", { tools })).deployment, "n-large");
  });

  it("falls back to a larger window after an upstream's context-window refusal, when asked to", async () => {
    const long = { messages: [{ role: "user", content: "lorem ipsum ".repeat(300) }] }; // > 500 tokens
    const a = await chat("route-refusal", long);
    assert.equal(a.status, 200);
    assert.equal(a.deployment, "r-long");
    assert.equal(a.attempts, "2");
    const off = await chat("route-refusal-off", long);
    assert.equal(off.status, 400, "without the fallback the refusal reaches the client");
    assert.equal((await chat("route-refusal")).deployment, "r-short");
  });

  it("falls back to the configured alternative after a content-policy refusal", async () => {
    const a = await chat("route-content");
    assert.equal(a.status, 200);
    assert.equal(a.deployment, "p-alternative", "not the next in order, the configured alternative");
    assert.equal(a.attempts, "2");
  });

  it("shares a Retry-After cooldown: after one 429 no replica tries the deployment first", async () => {
    const first = await chat("route-cooldown");
    assert.equal(first.deployment, "t-spare");
    assert.equal(first.attempts, "2");
    const kv = await openRouteStats(gw.nc, gw.prefix);
    const until = Date.now() + 3000;
    while ((await kv.get(cooldownKey("t-throttled")))?.operation !== "PUT" && Date.now() < until)
      await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200)); // one watch delivery to every replica
    // Two routers and two providers: whichever gets each request skips the cooling deployment.
    for (let i = 0; i < 8; i++) {
      const a = await chat("route-cooldown");
      assert.equal(a.deployment, "t-spare");
      assert.equal(a.attempts, "1", `request ${i} tried the cooling deployment first`);
    }
  });

  it("counts the upstream time of a request that ended in an upstream error", async () => {
    const a = await chat("route-slow-failure", {}, "slow-failure-1");
    assert.equal(a.status, 502);
    const [e] = (await waitForUsageEvents(gw.nc, gw.prefix, ["slow-failure-1"])).filter(
      (x) => x.requestId === "slow-failure-1",
    );
    assert.equal(e!.deployment, "f-slow");
    assert.ok(e!.upstreamMs >= 55, `upstream_ms ${e!.upstreamMs}`);
  });

  it("opens a failing deployment's circuit, both router replicas agree within 1 s, and traffic skips it", async () => {
    for (let i = 0; i < 8; i++) {
      const a = await chat("route-circuit");
      assert.equal(a.status, 200); // the fallback serves it
      assert.equal(a.deployment, "c-healthy");
    }
    const kv = await openRouteStats(gw.nc, gw.prefix);
    let openedAt = 0;
    const until = Date.now() + 5000;
    while (openedAt === 0 && Date.now() < until) {
      const e = await kv.get(circuitKey("c-failing"));
      if (e !== null && e.operation === "PUT") {
        const r = fromBinary(CircuitRecordSchema, e.value);
        if (r.state === CircuitState.OPEN) openedAt = Number(r.sinceUnixMs);
      }
      if (openedAt === 0) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(openedAt > 0, "the circuit never opened");
    const routers = gw.procs("router");
    assert.equal(routers.length, 2);
    const agreed = await Promise.all(
      routers.map(async (p) => {
        for (;;) {
          const text = await metricsOf(p.metricsPort);
          if (metric(text, "switchyard_router_circuit_state", { deployment: "c-failing" }) === 2)
            return Date.now();
          if (Date.now() - openedAt > 5000) return Number.POSITIVE_INFINITY;
          await new Promise((r) => setTimeout(r, 20));
        }
      }),
    );
    for (const at of agreed)
      assert.ok(at - openedAt <= 1000, `a router saw it ${at - openedAt} ms after it opened`);
    for (let i = 0; i < 6; i++) {
      const a = await chat("route-circuit");
      assert.equal(a.deployment, "c-healthy");
      assert.equal(a.attempts, "1", "the open circuit's deployment was still tried first");
    }
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { RouteDecisionSchema } from "@switchyard/proto";
import { buildCatalog } from "./catalog.js";
import { gatewayConfigSchema } from "./gateway-config.js";

const config = gatewayConfigSchema.parse({
  providers: {
    "openai-eu": { type: "openai", base_url: "https://api.openai.com/v1" },
    local: { type: "openai-compatible", base_url: "http://127.0.0.1:8000/v1" },
  },
  models: [
    { alias: "mini", deployments: [{ id: "mini-eu", provider: "openai-eu", model: "gpt-4o-mini" }] },
    {
      alias: "mock-gpt",
      deployments: [
        {
          id: "mock",
          provider: "openai-eu",
          model: "mock-gpt",
          input_usd_per_mtok: 0.15,
          output_usd_per_mtok: 0.6,
        },
      ],
    },
    { alias: "llama", deployments: [{ id: "llama-local", provider: "local", model: "llama-3.1-8b" }] },
  ],
});

function build(): { catalog: ReturnType<typeof buildCatalog>; warnings: unknown[] } {
  const warnings: unknown[] = [];
  const catalog = buildCatalog(config, { warn: (obj: unknown, msg?: string) => warnings.push([obj, msg]) });
  return { catalog, warnings };
}

describe("buildCatalog prices", () => {
  it("gives each deployment the price data's prices, resolved at build, travelling with the route", () => {
    const mini = build().catalog.get("mini")?.deployments[0];
    // gpt-4o-mini: $0.15 input, $0.075 cache read, $0.60 output per million tokens.
    assert.equal(mini?.prices?.base?.inputPicoUsd, 150_000n);
    assert.equal(mini?.prices?.base?.cacheReadPicoUsd, 75_000n);
    assert.equal(mini?.prices?.base?.outputPicoUsd, 600_000n);
    // The provider stage prices the request from the route it receives, not from the data.
    const sent = create(RouteDecisionSchema, { deployments: mini === undefined ? [] : [mini] });
    const route = fromBinary(RouteDecisionSchema, toBinary(RouteDecisionSchema, sent));
    assert.equal(route.deployments[0]?.prices?.base?.outputPicoUsd, 600_000n);
  });

  it("prices a mock from the gateway file, cache reads at its input price", () => {
    const mock = build().catalog.get("mock-gpt")?.deployments[0];
    assert.equal(mock?.prices?.base?.inputPicoUsd, 150_000n);
    assert.equal(mock?.prices?.base?.cacheReadPicoUsd, 150_000n);
    assert.equal(mock?.prices?.base?.outputPicoUsd, 600_000n);
  });

  it("warns once, naming the deployment, when nothing prices it", () => {
    const { catalog, warnings } = build();
    assert.equal(warnings.length, 1);
    const [fields, message] = warnings[0] as [Record<string, string>, string];
    assert.equal(fields["deployment"], "llama-local");
    assert.match(message, /no price data .*llama-3\.1-8b.*counts as 0/);
    assert.equal(catalog.get("llama")?.deployments[0]?.prices?.base?.inputPicoUsd, 0n);
  });
});

describe("buildCatalog retry policy", () => {
  const withRetry = (retry: unknown) =>
    gatewayConfigSchema.safeParse({
      providers: { local: { type: "openai-compatible", base_url: "http://127.0.0.1:8000/v1" } },
      models: [{ alias: "m", retry, deployments: [{ id: "d", provider: "local", model: "x" }] }],
    });

  it("puts the alias's retry policy on its entry, with the defaults filled in", () => {
    const parsed = withRetry({ attempts: 2 });
    assert.ok(parsed.success);
    const retry = buildCatalog(parsed.data).get("m")?.retry;
    assert.deepEqual([retry?.attempts, retry?.baseMs, retry?.maxMs], [2, 500, 8000]);
  });

  it("carries none when the alias retries nothing", () => {
    for (const retry of [undefined, { attempts: 0, base_ms: 10 }]) {
      const parsed = withRetry(retry);
      assert.ok(parsed.success);
      assert.equal(buildCatalog(parsed.data).get("m")?.retry, undefined, JSON.stringify(retry));
    }
  });

  it("rejects a policy whose max_ms is below its base_ms, or that has no attempts", () => {
    const bad = withRetry({ attempts: 1, base_ms: 1000, max_ms: 100 });
    assert.equal(bad.success, false);
    assert.match(JSON.stringify(bad.error?.issues), /max_ms must be at least base_ms/);
    assert.equal(withRetry({ base_ms: 100 }).success, false);
  });
});

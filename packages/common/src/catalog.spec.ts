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

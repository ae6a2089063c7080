// Worked examples, computed by hand in the comments, with the token counts of each adapter's
// recorded fixture (packages/providers/src/<adapter>/fixtures) as the adapter maps them to the
// canonical Usage: prompt includes cache reads and writes, completion includes reasoning.
// Prices are those of the bundled price data (@pydantic/genai-prices 0.1.8), in USD per million
// tokens. A token at $p/Mtok costs p × 1e6 pico-USD, so N tokens cost N × p × 1000 nano-USD.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { calcPrice } from "@pydantic/genai-prices";
import { PromptCacheWrite, UsageSchema, type PriceTable, type Usage } from "@switchyard/proto";
import { buildPriceTable, costOf, maxCostNanoUsd, type Cost, type PriceOverrides } from "./prices.js";

interface Counts {
  prompt: number;
  completion: number;
  cached?: number;
  cacheWrite?: number;
  cacheWrite1h?: number;
  reasoning?: number;
}

function usage(c: Counts): Usage {
  return create(UsageSchema, {
    promptTokens: c.prompt,
    completionTokens: c.completion,
    totalTokens: c.prompt + c.completion,
    cachedTokens: c.cached ?? 0,
    cacheWriteTokens: c.cacheWrite ?? 0,
    cacheWrite1hTokens: c.cacheWrite1h ?? 0,
    reasoningTokens: c.reasoning ?? 0,
  });
}

/** A price table that must be priced (by the data or the file). */
function prices(provider: string, model: string, overrides: PriceOverrides = {}): PriceTable {
  return buildPriceTable(provider, model, overrides, (reason) => assert.fail(reason));
}

function cost(inputNanoUsd: bigint, outputNanoUsd: bigint, totalNanoUsd: bigint): Cost {
  assert.equal(inputNanoUsd + outputNanoUsd, totalNanoUsd, "the worked example adds up");
  return { inputNanoUsd, outputNanoUsd, totalNanoUsd };
}

// openai/fixtures/tool-calls.json: prompt 1282 (1152 cached), completion 417 (320 reasoning).
const OPENAI_TOOL_CALLS = usage({ prompt: 1282, cached: 1152, completion: 417, reasoning: 320 });
// openai/fixtures/text-stream.sse: prompt 2006 (1920 cached), completion 300 (192 reasoning).
const OPENAI_STREAM = usage({ prompt: 2006, cached: 1920, completion: 300, reasoning: 192 });
// anthropic/fixtures/tool-use.json: input_tokens 2095, cache_read 4096, cache_creation 1024 of
// which ephemeral_1h 768 (5m 256), output 503 → prompt 2095 + 4096 + 1024 = 7215.
const ANTHROPIC_TOOL_USE = usage({
  prompt: 7215,
  cached: 4096,
  cacheWrite: 1024,
  cacheWrite1h: 768,
  completion: 503,
});
// gemini/fixtures/function-call.json: promptTokenCount 3100, cachedContentTokenCount 2048,
// candidates 40 + thoughts 120 → completion 160, reasoning 120.
const GEMINI_FUNCTION_CALL = usage({ prompt: 3100, cached: 2048, completion: 160, reasoning: 120 });
// bedrock/fixtures/converse.json: inputTokens 350, cacheRead 1024, cacheWrite 24, output 75 →
// prompt 350 + 1024 + 24 = 1398.
const BEDROCK_CONVERSE = usage({ prompt: 1398, cached: 1024, cacheWrite: 24, completion: 75 });
// mistral/fixtures/tool-stream.sse: prompt 91, completion 36.
const MISTRAL_TOOL_STREAM = usage({ prompt: 91, completion: 36 });
// azure/fixtures/content-filter-stream.sse: prompt 12, completion 5.
const AZURE_STREAM = usage({ prompt: 12, completion: 5 });
// openai/fixtures/embeddings.json: prompt 8.
const OPENAI_EMBEDDINGS = usage({ prompt: 8, completion: 0 });
// openai-compatible/fixtures/deepseek-reasoning.sse: prompt 20, completion 96 (80 reasoning).
const DEEPSEEK_REASONING = usage({ prompt: 20, completion: 96, reasoning: 80 });
// A long-context Anthropic request past the 200k threshold: 250,000 prompt tokens of which
// 50,000 cache reads and 10,000 cache writes (4,000 of them 1h), 2,000 output tokens.
const ANTHROPIC_LONG = usage({
  prompt: 250_000,
  cached: 50_000,
  cacheWrite: 10_000,
  cacheWrite1h: 4_000,
  completion: 2_000,
});
// A long-context Gemini request: 300,000 prompt tokens (100,000 cached), 5,000 completion
// tokens of which 3,000 thoughts.
const GEMINI_LONG = usage({ prompt: 300_000, cached: 100_000, completion: 5_000, reasoning: 3_000 });

describe("costOf, worked by hand for each adapter", () => {
  it("OpenAI gpt-4o-mini: cache reads at the cached price, reasoning at the output price", () => {
    // $0.15 input, $0.075 cache read, $0.60 output (no reasoning price: output).
    // input:  (1282 − 1152) × 0.15 × 1000 = 19,500 + 1152 × 0.075 × 1000 = 86,400 → 105,900
    // output: 417 × 0.60 × 1000 = 250,200
    assert.deepEqual(
      costOf(prices("openai", "gpt-4o-mini"), OPENAI_TOOL_CALLS),
      cost(105_900n, 250_200n, 356_100n),
    );
  });

  it("OpenAI o3: the price in force today of a model whose price changed (was $10/$40)", () => {
    // Since 2025-06-10: $2 input, $0.50 cache read, $8 output.
    // input:  (2006 − 1920) × 2 × 1000 = 172,000 + 1920 × 0.5 × 1000 = 960,000 → 1,132,000
    // output: 300 × 8 × 1000 = 2,400,000 (its 192 reasoning tokens at the output price)
    assert.deepEqual(costOf(prices("openai", "o3"), OPENAI_STREAM), cost(1_132_000n, 2_400_000n, 3_532_000n));
  });

  it("Anthropic claude-sonnet-4-5: cache reads, 5m writes and 1h writes each at their price", () => {
    // $3 input, $0.30 cache read, $3.75 cache write (5m), $6 cache write (1h), $15 output.
    // input:  2095 × 3 × 1000    = 6,285,000
    //       + 4096 × 0.3 × 1000  = 1,228,800
    //       + 256 × 3.75 × 1000  =   960,000
    //       + 768 × 6 × 1000     = 4,608,000  → 13,081,800
    // output: 503 × 15 × 1000    = 7,545,000
    // The dated upstream name matches the same model in the price data.
    for (const model of ["claude-sonnet-4-5", "claude-sonnet-4-5-20250929"])
      assert.deepEqual(
        costOf(prices("anthropic", model), ANTHROPIC_TOOL_USE),
        cost(13_081_800n, 7_545_000n, 20_626_800n),
      );
  });

  it("Anthropic claude-sonnet-4-5 past 200k prompt tokens: every token at the long-context price", () => {
    // Above 200,000 prompt tokens: $6 input, $0.60 read, $7.50 write 5m, $12 write 1h, $22.50 out.
    // input:  (250,000 − 50,000 − 10,000) × 6 × 1000 = 1,140,000,000
    //       + 50,000 × 0.6 × 1000                   =    30,000,000
    //       + 6,000 × 7.5 × 1000                    =    45,000,000
    //       + 4,000 × 12 × 1000                     =    48,000,000 → 1,263,000,000
    // output: 2,000 × 22.5 × 1000                   =    45,000,000
    assert.deepEqual(
      costOf(prices("anthropic", "claude-sonnet-4-5"), ANTHROPIC_LONG),
      cost(1_263_000_000n, 45_000_000n, 1_308_000_000n),
    );
  });

  it("the long-context tier starts above its threshold, not at it", () => {
    const sonnet = prices("anthropic", "claude-sonnet-4-5");
    // 200,000 × 3 × 1000 = 600,000,000; 200,001 × 6 × 1000 = 1,200,006,000.
    assert.equal(costOf(sonnet, usage({ prompt: 200_000, completion: 0 })).totalNanoUsd, 600_000_000n);
    assert.equal(costOf(sonnet, usage({ prompt: 200_001, completion: 0 })).totalNanoUsd, 1_200_006_000n);
  });

  it("Gemini gemini-2.5-flash: cached content and thoughts", () => {
    // $0.30 input, $0.03 cache read, $2.50 output.
    // input:  (3100 − 2048) × 0.3 × 1000 = 315,600 + 2048 × 0.03 × 1000 = 61,440 → 377,040
    // output: 160 × 2.5 × 1000 = 400,000
    assert.deepEqual(
      costOf(prices("gemini", "gemini-2.5-flash"), GEMINI_FUNCTION_CALL),
      cost(377_040n, 400_000n, 777_040n),
    );
  });

  it("Gemini gemini-2.5-pro below and above its 200k long-context threshold", () => {
    const pro = prices("gemini", "gemini-2.5-pro");
    // Base: $1.25 input, $0.125 read, $10 output.
    // input:  1052 × 1.25 × 1000 = 1,315,000 + 2048 × 0.125 × 1000 = 256,000 → 1,571,000
    // output: 160 × 10 × 1000 = 1,600,000
    assert.deepEqual(costOf(pro, GEMINI_FUNCTION_CALL), cost(1_571_000n, 1_600_000n, 3_171_000n));
    // Above 200,000: $2.50 input, $0.25 read, $15 output.
    // input:  200,000 × 2.5 × 1000 = 500,000,000 + 100,000 × 0.25 × 1000 = 25,000,000
    // output: 5,000 × 15 × 1000 = 75,000,000
    assert.deepEqual(costOf(pro, GEMINI_LONG), cost(525_000_000n, 75_000_000n, 600_000_000n));
  });

  it("Bedrock Claude 3.5 Sonnet v2 via Converse: cache reads and writes", () => {
    // anthropic.claude-3-5-sonnet-20241022-v2:0: $3 input, $0.30 read, $3.75 write, $15 output.
    // input:  350 × 3 × 1000 = 1,050,000 + 1024 × 0.3 × 1000 = 307,200 + 24 × 3.75 × 1000
    //         = 90,000 → 1,447,200
    // output: 75 × 15 × 1000 = 1,125,000
    assert.deepEqual(
      costOf(prices("bedrock", "anthropic.claude-3-5-sonnet-20241022-v2:0"), BEDROCK_CONVERSE),
      cost(1_447_200n, 1_125_000n, 2_572_200n),
    );
  });

  it("Mistral mistral-large-latest", () => {
    // $2 input, $6 output: 91 × 2 × 1000 = 182,000; 36 × 6 × 1000 = 216,000.
    assert.deepEqual(
      costOf(prices("mistral", "mistral-large-latest"), MISTRAL_TOOL_STREAM),
      cost(182_000n, 216_000n, 398_000n),
    );
  });

  it("Azure: a deployment named gpt-4o-prod priced as price_model gpt-4o", () => {
    // $2.50 input, $10 output: 12 × 2.5 × 1000 = 30,000; 5 × 10 × 1000 = 50,000.
    const azure = prices("azure", "gpt-4o-prod", { price_model: "gpt-4o" });
    assert.deepEqual(costOf(azure, AZURE_STREAM), cost(30_000n, 50_000n, 80_000n));
    const reasons: string[] = [];
    buildPriceTable("azure", "gpt-4o-prod", {}, (reason) => reasons.push(reason));
    assert.deepEqual(reasons, ['no price data for azure model "gpt-4o-prod"']);
  });

  it("embeddings: text-embedding-3-small", () => {
    // $0.02 input: 8 × 0.02 × 1000 = 160.
    assert.deepEqual(
      costOf(prices("openai", "text-embedding-3-small"), OPENAI_EMBEDDINGS),
      cost(160n, 0n, 160n),
    );
  });

  it("openai-compatible: priced only from the gateway file, never from the price data", () => {
    // $0.28 input, $0.42 output, as configured: 20 × 0.28 × 1000 = 5,600; 96 × 0.42 × 1000
    // = 40,320 (its 80 reasoning tokens at the output price).
    const deepseek = prices("openai-compatible", "deepseek-reasoner", {
      input_usd_per_mtok: 0.28,
      cached_input_usd_per_mtok: 0.028,
      output_usd_per_mtok: 0.42,
    });
    assert.deepEqual(costOf(deepseek, DEEPSEEK_REASONING), cost(5_600n, 40_320n, 45_920n));
    // The data knows deepseek-reasoner (at DeepSeek), but an openai-compatible server is not
    // DeepSeek: with no prices in the file, the deployment is unpriced and says so.
    const reasons: string[] = [];
    const unpriced = buildPriceTable("openai-compatible", "deepseek-reasoner", {}, (r) => reasons.push(r));
    assert.equal(reasons.length, 1);
    assert.deepEqual(costOf(unpriced, DEEPSEEK_REASONING), cost(0n, 0n, 0n));
  });

  it("the gateway file beats the price data, one price at a time, tiers included", () => {
    // claude-sonnet-4-5 with input at $2 (no tier) and a $0.001 fee per request; the other
    // prices, and their long-context tiers, stay the data's.
    const sonnet = prices("anthropic", "claude-sonnet-4-5", { input_usd_per_mtok: 2, request_usd: 0.001 });
    assert.equal(sonnet.base?.inputPicoUsd, 2_000_000n);
    assert.equal(sonnet.tiers[0]?.aboveInputTokens, 200_000);
    assert.equal(sonnet.tiers[0]?.prices?.inputPicoUsd, 2_000_000n);
    assert.equal(sonnet.tiers[0]?.prices?.outputPicoUsd, 22_500_000n);
    assert.equal(sonnet.requestPicoUsd, 1_000_000_000n);
    // input:  2095 × 2 × 1000 = 4,190,000 + 1,228,800 + 960,000 + 4,608,000 (as above)
    //         + the fee 0.001 × 1e9 = 1,000,000 → 11,986,800
    // output: 7,545,000 (as above)
    assert.deepEqual(costOf(sonnet, ANTHROPIC_TOOL_USE), cost(11_986_800n, 7_545_000n, 19_531_800n));
    // Long context: 190,000 × 2 × 1000 = 380,000,000 + 30,000,000 + 45,000,000 + 48,000,000
    // + 1,000,000 = 504,000,000; output 45,000,000 (as above).
    assert.deepEqual(costOf(sonnet, ANTHROPIC_LONG), cost(504_000_000n, 45_000_000n, 549_000_000n));
  });

  it("a price the vendor does not list is charged as the input (or cache-write, or output) price", () => {
    // mistral-large lists no cache price; Bedrock's Claude 3.5 no one-hour write; neither a
    // reasoning price (0 = output).
    const mistral = prices("mistral", "mistral-large-latest");
    assert.equal(mistral.base?.cacheReadPicoUsd, 2_000_000n);
    assert.equal(mistral.base?.cacheWritePicoUsd, 2_000_000n);
    const bedrock = prices("bedrock", "anthropic.claude-3-5-sonnet-20241022-v2:0");
    assert.equal(bedrock.base?.cacheWrite1hPicoUsd, 3_750_000n);
    assert.equal(bedrock.base?.reasoningPicoUsd, 0n);
  });

  it("prices nano-USD per token could not hold: $0.01875/Mtok cache reads on gemini-1.5-flash", () => {
    // $0.075 input, $0.01875 cache read (18,750 pico-USD a token; 18.75 nano-USD, which
    // nano-USD per token rounded to 19), $0.30 output.
    // input:  2,223 × 75,000 pico = 166,725,000 + 7,777 × 18,750 pico = 145,818,750
    //         → 312,543,750 pico = 312,543.75 nano → 312,544 (half up, once)
    // output: 1 × 300,000 pico = 300 nano
    // (At 19 nano-USD a token the cache reads alone would have cost 147,763, not 145,818.75.)
    const flash = prices("gemini", "gemini-1.5-flash");
    assert.equal(flash.base?.cacheReadPicoUsd, 18_750n);
    assert.deepEqual(
      costOf(flash, usage({ prompt: 10_000, cached: 7_777, completion: 1 })),
      cost(312_544n, 300n, 312_844n),
    );
  });

  it("a configured $0.0375/Mtok rounds half up from pico to nano once per part", () => {
    const cheap = prices("openai-compatible", "local-model", {
      input_usd_per_mtok: 0.0375,
      output_usd_per_mtok: 0.0375,
    });
    assert.equal(cheap.base?.inputPicoUsd, 37_500n);
    // 1 token: 37,500 pico = 37.5 nano → 38 for input and for output; total 76, not round(75).
    assert.deepEqual(costOf(cheap, usage({ prompt: 1, completion: 1 })), cost(38n, 38n, 76n));
    // 3 tokens: 112,500 pico = 112.5 nano → 113.
    assert.deepEqual(costOf(cheap, usage({ prompt: 3, completion: 0 })), cost(113n, 0n, 113n));
  });

  it("no price table or no usage costs nothing", () => {
    assert.deepEqual(costOf(undefined, OPENAI_TOOL_CALLS), cost(0n, 0n, 0n));
    assert.deepEqual(costOf(prices("openai", "gpt-4o-mini"), undefined), cost(0n, 0n, 0n));
  });
});

describe("costOf agrees with the library's own float calcPrice", () => {
  const cases: [adapter: string, providerId: string, model: string, u: Usage][] = [
    ["openai", "openai", "gpt-4o-mini", OPENAI_TOOL_CALLS],
    ["openai", "openai", "o3", OPENAI_STREAM],
    ["anthropic", "anthropic", "claude-sonnet-4-5", ANTHROPIC_TOOL_USE],
    ["anthropic", "anthropic", "claude-sonnet-4-5", ANTHROPIC_LONG],
    ["anthropic", "anthropic", "claude-haiku-4-5", ANTHROPIC_TOOL_USE],
    ["gemini", "google", "gemini-2.5-pro", GEMINI_LONG],
    ["gemini", "google", "gemini-1.5-flash", usage({ prompt: 130_000, cached: 7_777, completion: 9 })],
    ["bedrock", "aws", "anthropic.claude-3-5-sonnet-20241022-v2:0", BEDROCK_CONVERSE],
    ["mistral", "mistral", "mistral-large-latest", MISTRAL_TOOL_STREAM],
    ["azure", "azure", "gpt-4o", AZURE_STREAM],
  ];
  for (const [adapter, providerId, model, u] of cases)
    it(`${adapter} ${model}, ${u.promptTokens} prompt tokens: within 1 nano-USD`, () => {
      const library = calcPrice(
        {
          input_tokens: u.promptTokens,
          cache_read_tokens: u.cachedTokens,
          cache_write_tokens: u.cacheWriteTokens,
          cache_write_1h_tokens: u.cacheWrite1hTokens,
          output_tokens: u.completionTokens,
          output_reasoning_tokens: u.reasoningTokens,
        },
        model,
        { providerId },
      );
      assert.ok(library !== null, `the data prices ${model}`);
      const ours = Number(costOf(prices(adapter, model), u).totalNanoUsd);
      assert.ok(ours > 0);
      assert.ok(Math.abs(ours - library.total_price * 1e9) <= 1, `${ours} vs ${library.total_price * 1e9}`);
    });
});

describe("maxCostNanoUsd", () => {
  it("prices every prompt token as input and the output cap at the output price", () => {
    // gpt-4o-mini, 1282 prompt tokens, up to 4096 output: 1282 × 0.15 × 1000 = 192,300 +
    // 4096 × 0.6 × 1000 = 2,457,600 → 2,649,900.
    const mini = prices("openai", "gpt-4o-mini");
    assert.equal(maxCostNanoUsd(mini, 1282, 4096), 2_649_900n);
    // Never below what the request then costs (no cache writes): 1282 prompt, 417 output
    // → 192,300 + 250,200 = 442,500 ≥ 356,100.
    assert.equal(maxCostNanoUsd(mini, 1282, 417), 442_500n);
    assert.ok(maxCostNanoUsd(mini, 1282, 417) >= costOf(mini, OPENAI_TOOL_CALLS).totalNanoUsd);
  });

  it("uses the tier the prompt falls in", () => {
    // claude-sonnet-4-5, 250,000 prompt tokens, up to 8,192 output: 250,000 × 6 × 1000
    // = 1,500,000,000 + 8,192 × 22.5 × 1000 = 184,320,000 → 1,684,320,000.
    assert.equal(maxCostNanoUsd(prices("anthropic", "claude-sonnet-4-5"), 250_000, 8_192), 1_684_320_000n);
  });

  it("takes the dearer of output and reasoning, and adds the request fee", () => {
    // $1 input, $2 output, $3 reasoning, $0.002 a request; 100 prompt, 10 output tokens:
    // 100 × 1 × 1000 = 100,000 + fee 2,000,000 → 2,100,000; 10 × 3 × 1000 = 30,000.
    const table = prices("openai-compatible", "local-model", {
      input_usd_per_mtok: 1,
      output_usd_per_mtok: 2,
      reasoning_usd_per_mtok: 3,
      request_usd: 0.002,
    });
    assert.equal(maxCostNanoUsd(table, 100, 10), 2_130_000n);
  });

  it("prices the prompt at the cache-write price the request's breakpoints ask for", () => {
    // claude-sonnet-4-5: $3 input, $3.75 5m write, $6 1h write, $15 output; 7,215 prompt tokens,
    // 503 output. Output 503 × 15 × 1000 = 7,545,000 in every case.
    const sonnet = prices("anthropic", "claude-sonnet-4-5");
    // No breakpoint: 7,215 × 3 × 1000 = 21,645,000 → 29,190,000.
    assert.equal(maxCostNanoUsd(sonnet, 7215, 503), 29_190_000n);
    // 5m breakpoints: 7,215 × 3.75 × 1000 = 27,056,250 → 34,601,250.
    assert.equal(maxCostNanoUsd(sonnet, 7215, 503, PromptCacheWrite.DEFAULT), 34_601_250n);
    // A 1h breakpoint: 7,215 × 6 × 1000 = 43,290,000 → 50,835,000, which is what writing the
    // whole prompt to the one-hour cache then costs (without the hint it would undershoot).
    const wholePromptWritten = usage({ prompt: 7215, cacheWrite: 7215, cacheWrite1h: 7215, completion: 503 });
    assert.equal(costOf(sonnet, wholePromptWritten).totalNanoUsd, 50_835_000n);
    assert.equal(maxCostNanoUsd(sonnet, 7215, 503, PromptCacheWrite.ONE_HOUR), 50_835_000n);
    // Where writes cost no more than input (gpt-4o-mini), a breakpoint changes nothing.
    assert.equal(
      maxCostNanoUsd(prices("openai", "gpt-4o-mini"), 1282, 4096, PromptCacheWrite.ONE_HOUR),
      2_649_900n,
    );
  });

  it("is 0 without a price table", () => {
    assert.equal(maxCostNanoUsd(undefined, 1000, 1000), 0n);
  });
});

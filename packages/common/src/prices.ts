// Prices and cost, as integers. A deployment's prices come from the price data bundled in
// @pydantic/genai-prices, matched by that library once, when the catalog is built; the gateway
// file's price fields override them one by one. A request's cost is counted in pico-USD and
// reported in nano-USD, never through a float. docs/prices.md explains the units and rules.
import { create } from "@bufbuild/protobuf";
import { calcPrice, type ModelPrice } from "@pydantic/genai-prices";
import {
  PriceTableSchema,
  PromptCacheWrite,
  PriceTierSchema,
  TokenPricesSchema,
  type PriceTable,
  type TokenPrices,
  type Usage,
} from "@switchyard/proto";
import type { DeploymentConfig } from "./gateway-config.js";

/** The price fields of a deployment in the gateway file, and the model to look up. */
export type PriceOverrides = Partial<
  Pick<DeploymentConfig, "price_model" | "request_usd" | (typeof TOKEN_PRICES)[number][1]>
>;

/** A request's cost in nano-USD; each part rounded once, the total their sum. */
export interface Cost {
  inputNanoUsd: bigint;
  outputNanoUsd: bigint;
  totalNanoUsd: bigint;
}

/** Our adapters' vendors as the price data names them; openai-compatible servers have none. */
const PRICE_DATA_PROVIDERS: ReadonlyMap<string, string> = new Map([
  ["openai", "openai"],
  ["azure", "azure"],
  ["anthropic", "anthropic"],
  ["gemini", "google"],
  ["bedrock", "aws"],
  ["mistral", "mistral"],
]);

/** Each per-token price: its field, its override in the gateway file, its key in the data. */
const TOKEN_PRICES = [
  ["inputPicoUsd", "input_usd_per_mtok", "input_mtok"],
  ["cacheReadPicoUsd", "cached_input_usd_per_mtok", "cache_read_mtok"],
  ["cacheWritePicoUsd", "cache_write_usd_per_mtok", "cache_write_mtok"],
  ["cacheWrite1hPicoUsd", "cache_write_1h_usd_per_mtok", "cache_write_1h_mtok"],
  ["outputPicoUsd", "output_usd_per_mtok", "output_mtok"],
  ["reasoningPicoUsd", "reasoning_usd_per_mtok", "output_reasoning_mtok"],
] as const;

/** USD per million tokens, flat or by the request's input tokens (the price data's shape). */
type UsdPerMtok = ModelPrice[string];
type ResolvedPrices = Record<(typeof TOKEN_PRICES)[number][2], UsdPerMtok>;

const NANO = 1000n;

/**
 * A deployment's price table: the price data's prices for `overrides.price_model` or else
 * `upstreamModel` at the adapter's vendor, each replaced by the gateway file's field when set.
 * Calls `onUnpriced` when neither the data nor the file prices the deployment (its cost is 0).
 */
export function buildPriceTable(
  provider: string,
  upstreamModel: string,
  overrides: PriceOverrides,
  onUnpriced?: (reason: string) => void,
): PriceTable {
  const model = overrides.price_model ?? upstreamModel;
  let data: ModelPrice | undefined;
  let missing = `no price data for ${provider} model "${model}"`;
  try {
    data = priceData(provider, model);
  } catch (err) {
    missing = `the price data for ${provider} model "${model}" cannot be read: ${(err as Error).message}`;
  }
  const configured =
    overrides.request_usd !== undefined || TOKEN_PRICES.some(([, key]) => overrides[key] !== undefined);
  if (data === undefined && !configured) onUnpriced?.(missing);

  const prices = Object.fromEntries(
    TOKEN_PRICES.map(([, key, dataKey]) => [dataKey, overrides[key] ?? data?.[dataKey]]),
  ) as ResolvedPrices;
  // A price the vendor does not list is charged as the library charges it: at the input price
  // (cache reads and writes), at the cache-write price (one-hour writes), at the output price
  // (reasoning, left 0).
  prices.cache_read_mtok ??= prices.input_mtok;
  prices.cache_write_mtok ??= prices.input_mtok;
  prices.cache_write_1h_mtok ??= prices.cache_write_mtok;

  const thresholds = new Set<number>();
  for (const price of Object.values(prices))
    if (typeof price === "object") for (const tier of price.tiers) thresholds.add(tier.start);
  return create(PriceTableSchema, {
    base: tokenPricesAt(prices, undefined),
    requestPicoUsd: requestFee(data, overrides),
    tiers: [...thresholds]
      .sort((a, b) => a - b)
      .map((above) =>
        create(PriceTierSchema, { aboveInputTokens: above, prices: tokenPricesAt(prices, above) }),
      ),
  });
}

/**
 * The cost of a request from its usage. Prompt tokens include cache reads and writes, and
 * completion tokens include reasoning (the canonical Usage). The tier is the one the prompt
 * falls in; the per-request fee counts as input.
 */
export function costOf(prices: PriceTable | undefined, usage: Usage | undefined): Cost {
  if (prices === undefined || usage === undefined) return costFrom(0n, 0n);
  const r = pricesFor(prices, usage.promptTokens);
  const prompt = usage.promptTokens;
  const cacheRead = Math.min(usage.cachedTokens, prompt);
  const cacheWrite = Math.min(usage.cacheWriteTokens, prompt - cacheRead);
  const cacheWrite1h = Math.min(usage.cacheWrite1hTokens, cacheWrite);
  const reasoning = Math.min(usage.reasoningTokens, usage.completionTokens);
  const inputPico =
    BigInt(prompt - cacheRead - cacheWrite) * r.inputPicoUsd +
    BigInt(cacheRead) * r.cacheReadPicoUsd +
    BigInt(cacheWrite - cacheWrite1h) * r.cacheWritePicoUsd +
    BigInt(cacheWrite1h) * r.cacheWrite1hPicoUsd +
    prices.requestPicoUsd;
  const outputPico =
    BigInt(usage.completionTokens - reasoning) * r.outputPicoUsd +
    BigInt(reasoning) * (r.reasoningPicoUsd || r.outputPicoUsd);
  return costFrom(nanoOf(inputPico), nanoOf(outputPico));
}

/**
 * The most a request can cost before it runs: every prompt token at the input price of the tier
 * the prompt falls in — or at the cache-write price when the request asks for cache writes and
 * that is dearer (the one-hour price when any breakpoint asks for an hour) —, `outputTokens` at
 * the dearer of the output and reasoning prices, and the per-request fee.
 */
export function maxCostNanoUsd(
  prices: PriceTable | undefined,
  promptTokens: number,
  outputTokens: number,
  cacheWrite: PromptCacheWrite = PromptCacheWrite.UNSPECIFIED,
): bigint {
  if (prices === undefined) return 0n;
  const r = pricesFor(prices, promptTokens);
  const output = r.reasoningPicoUsd > r.outputPicoUsd ? r.reasoningPicoUsd : r.outputPicoUsd;
  return (
    nanoOf(BigInt(promptTokens) * promptPriceAtMost(r, cacheWrite) + prices.requestPicoUsd) +
    nanoOf(BigInt(outputTokens) * output)
  );
}

/** The dearest a prompt token can be, given the cache writes the request asks for. */
function promptPriceAtMost(r: TokenPrices, cacheWrite: PromptCacheWrite): bigint {
  let most = r.inputPicoUsd;
  if (cacheWrite !== PromptCacheWrite.UNSPECIFIED && r.cacheWritePicoUsd > most) most = r.cacheWritePicoUsd;
  if (cacheWrite === PromptCacheWrite.ONE_HOUR && r.cacheWrite1hPicoUsd > most) most = r.cacheWrite1hPicoUsd;
  return most;
}

/** The price data's prices for a model now, matched by the library's own rules. */
function priceData(provider: string, model: string): ModelPrice | undefined {
  const providerId = PRICE_DATA_PROVIDERS.get(provider);
  if (providerId === undefined) return undefined;
  // A probe of no tokens: the answer carries the matched model's prices in force today.
  return calcPrice({ input_tokens: 0, output_tokens: 0 }, model, { providerId })?.model_price;
}

/** USD → pico-USD, to the nearest (exact for prices with up to six decimals per Mtok). */
function pico(usd: number, per: number): bigint {
  return BigInt(Math.round(usd * per));
}

/** The price in force when the prompt exceeds `above` tokens (base price when undefined). */
function usdAt(price: UsdPerMtok, above: number | undefined): number {
  if (price === undefined || typeof price === "number") return price ?? 0;
  if (above === undefined) return price.base;
  const tiers = [...price.tiers].sort((a, b) => a.start - b.start);
  return tiers.findLast((tier) => tier.start <= above)?.price ?? price.base;
}

function tokenPricesAt(prices: ResolvedPrices, above: number | undefined): TokenPrices {
  const out = create(TokenPricesSchema);
  for (const [field, , dataKey] of TOKEN_PRICES) out[field] = pico(usdAt(prices[dataKey], above), 1e6);
  return out;
}

function requestFee(data: ModelPrice | undefined, overrides: PriceOverrides): bigint {
  if (overrides.request_usd !== undefined) return pico(overrides.request_usd, 1e12);
  // The data prices requests per thousand.
  return pico(usdAt(data?.["requests_kcount"], undefined), 1e9);
}

/** The prices of the last tier whose threshold the prompt exceeds, else the base prices. */
function pricesFor(prices: PriceTable, promptTokens: number): TokenPrices {
  let found = prices.base;
  for (const tier of prices.tiers) if (promptTokens > tier.aboveInputTokens) found = tier.prices;
  return found ?? create(TokenPricesSchema);
}

/** Pico-USD → nano-USD, half up. */
function nanoOf(pico: bigint): bigint {
  return (pico + NANO / 2n) / NANO;
}

function costFrom(inputNanoUsd: bigint, outputNanoUsd: bigint): Cost {
  return { inputNanoUsd, outputNanoUsd, totalNanoUsd: inputNanoUsd + outputNanoUsd };
}

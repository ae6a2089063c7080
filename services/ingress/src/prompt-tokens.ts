// The prompt's size in tokens, for token limits and budgets, counted with gpt-tokenizer (a
// maintained pure-JS port of OpenAI's tiktoken encodings). The encoding follows the upstream
// model's family: o200k_base for OpenAI's current models (gpt-4o, gpt-4.1, gpt-5, the o-series),
// cl100k_base for the older ones and the text-embedding models. Other families (Claude, Gemini,
// Mistral, Llama) publish no tokenizer that runs locally for their current models, so their
// prompts are counted with o200k_base as an estimate — their counts differ by a few tens of
// percent — and settlement corrects every reservation to the tokens the provider reports.
//
// Counting costs about 5 µs per short prompt and 50 µs per KB, so a text over 32 K characters
// is counted on a 32 K sample and scaled. An encoding (about 70 MB of memory, 0.4 s to load) is
// loaded at start when the gateway file sets a token limit, else the first time a key under one
// (set through the admin API) needs it.
import type { GatewayConfig } from "@switchyard/common";
import type { ChatRequest, EmbedRequest } from "@switchyard/proto";

export type Encoding = "o200k_base" | "cl100k_base";
type Count = (text: string) => number;

const CL100K = /^(gpt-4(?!o|\.[15])|gpt-3\.5|text-embedding-|davinci|babbage)/;

/** The encoding for an upstream model name (o200k_base where the family has none of its own). */
export function encodingFor(upstreamModel: string): Encoding {
  return CL100K.test(upstreamModel) ? "cl100k_base" : "o200k_base";
}

const loading = new Map<Encoding, Promise<Count>>();
function counter(encoding: Encoding): Promise<Count> {
  let c = loading.get(encoding);
  if (c === undefined) {
    c =
      encoding === "cl100k_base"
        ? import("gpt-tokenizer/encoding/cl100k_base").then((m) => m.countTokens)
        : import("gpt-tokenizer/encoding/o200k_base").then((m) => m.countTokens);
    loading.set(encoding, c);
  }
  return c;
}

/** Does the gateway file put any key, team or tenant under a token limit or a budget? */
export function setsTokenLimits(g: GatewayConfig): boolean {
  return (
    [...g.keys, ...g.teams, ...g.tenants].some((x) => x.tpm > 0 || x.budget !== undefined) ||
    g.keys.some((k) => Object.values(k.model_limits).some((l) => l.tpm > 0))
  );
}

/** Starts loading the encodings the catalog's models use, so no request waits for one. */
export function preloadTokenizers(g: GatewayConfig): void {
  const encodings = new Set(g.models.map((m) => encodingFor(m.deployments[0]?.model ?? "")));
  for (const e of encodings) void counter(e);
}

const SAMPLE = 32 * 1024;

function tokensOf(count: Count, text: string): number {
  if (text.length <= SAMPLE) return count(text);
  return Math.ceil((count(text.slice(0, SAMPLE)) * text.length) / SAMPLE);
}

/** Chat: the text of every message, plus OpenAI's few tokens of framing per message and reply. */
export async function chatPromptTokens(req: ChatRequest, encoding: Encoding): Promise<number> {
  const count = await counter(encoding);
  let n = 3;
  for (const m of req.messages) {
    n += 3;
    for (const p of m.content) if (p.part.case === "text") n += tokensOf(count, p.part.value);
    for (const c of m.toolCalls) n += tokensOf(count, c.functionName) + tokensOf(count, c.argumentsJson);
  }
  for (const t of req.tools) n += tokensOf(count, JSON.stringify(t.function ?? {}));
  return n;
}

export async function embedPromptTokens(req: EmbedRequest, encoding: Encoding): Promise<number> {
  const count = await counter(encoding);
  return req.input.reduce((n, text) => n + tokensOf(count, text), 0);
}

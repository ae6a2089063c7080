// Deterministic answers: the same request always gives the same reply, tool calls, usage and
// embeddings. Text comes from a fixed word list, picked by a PRNG seeded from a hash of the last
// user message. Token counts use a documented heuristic (see countTokens), not a real tokenizer.
import { createHash } from "node:crypto";
import { withoutDirective } from "./controls.js";
import type { ChatIntent, MockControls, ProviderId, ReplyPlan, ToolCallPlan, ToolSpec } from "./types.js";

const WORDS = [
  "amber",
  "bridge",
  "canyon",
  "delta",
  "ember",
  "fjord",
  "granite",
  "harbor",
  "island",
  "juniper",
  "kestrel",
  "lantern",
  "meadow",
  "nebula",
  "orchard",
  "prairie",
  "quartz",
  "river",
  "summit",
  "tundra",
  "umber",
  "valley",
  "willow",
  "xenon",
  "yonder",
  "zephyr",
  "beacon",
  "cobalt",
  "dune",
  "estuary",
  "falcon",
  "glacier",
];

export const DEFAULT_WORDS = 12;
export const DEFAULT_DIMS = 8;
/** Prompt tokens charged for each image part. */
export const IMAGE_TOKENS = 85;

/** 32-bit seed from text. */
export function seedOf(text: string): number {
  return createHash("sha256").update(text).digest().readUInt32BE(0);
}

/** mulberry32: a tiny deterministic PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A deterministic alphanumeric id of `length` characters. */
export function deterministicId(seed: number, length: number): string {
  const next = prng(seed);
  let out = "";
  for (let i = 0; i < length; i++) out += ALNUM[Math.floor(next() * ALNUM.length)];
  return out;
}

/**
 * Token heuristic: every run of letters, every digit and every other non-space character is one
 * token, plus 3 per message (role and framing). Close enough to BPE counts for metering tests,
 * and exactly reproducible.
 */
export function countTokens(text: string): number {
  return text.match(/[\p{L}]+|\p{N}|[^\s\p{L}\p{N}]/gu)?.length ?? 0;
}

export function promptTokens(intent: Pick<ChatIntent, "promptText" | "messageCount" | "images">): number {
  return countTokens(intent.promptText) + 3 * intent.messageCount + IMAGE_TOKENS * intent.images;
}

function words(seed: number, n: number): string[] {
  const next = prng(seed);
  return Array.from({ length: n }, () => WORDS[Math.floor(next() * WORDS.length)] ?? "mock");
}

const PROVIDER_NAMES: Record<ProviderId, string> = {
  openai: "openai",
  azure: "azure",
  anthropic: "anthropic",
  gemini: "gemini",
  bedrock: "bedrock",
  mistral: "mistral",
  compat: "compat",
};

/** A value that fits a JSON schema well enough: required (or all) properties filled by type. */
export function valueForSchema(schema: unknown, seed: number, depth = 0): unknown {
  const s = (typeof schema === "object" && schema !== null ? schema : {}) as Record<string, unknown>;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  if ("const" in s) return s.const;
  const anyOf = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  if (Array.isArray(anyOf) && anyOf.length > 0) return valueForSchema(anyOf[0], seed, depth);
  let type = s.type;
  if (Array.isArray(type)) type = type.find((t) => t !== "null") ?? type[0];
  if (typeof type === "string") type = type.toLowerCase(); // Gemini writes "STRING", "OBJECT"...
  if (type === undefined && typeof s.properties === "object") type = "object";
  switch (type) {
    case "object": {
      if (depth > 6) return {};
      const props = (s.properties ?? {}) as Record<string, unknown>;
      const required = Array.isArray(s.required) ? (s.required as string[]) : Object.keys(props);
      const out: Record<string, unknown> = {};
      required.forEach((key, i) => {
        out[key] = valueForSchema(props[key], seed + i + 1, depth + 1);
      });
      return out;
    }
    case "array": {
      if (depth > 6) return [];
      // As many items as the schema's bounds allow around one (minItems raises it).
      const min = typeof s.minItems === "number" ? s.minItems : 1;
      const max = typeof s.maxItems === "number" ? s.maxItems : Math.max(min, 1);
      const n = Math.min(Math.max(min, 1), max);
      return Array.from({ length: n }, (_, i) => valueForSchema(s.items, seed + 7 + i * 13, depth + 1));
    }
    case "integer":
      return seed % 100;
    case "number":
      return (seed % 1000) / 10;
    case "boolean":
      return seed % 2 === 0;
    case "null":
      return null;
    default:
      return words(seed, 1)[0];
  }
}

/** What `echo` answers with: the last user message, or (echo=2) all the prompt text. */
function echoText(intent: ChatIntent, controls: MockControls): string {
  return withoutDirective(controls.echo === 2 ? intent.promptText : intent.lastUserText);
}

/** `value` with every string in it replaced by `text`. */
function echoStrings(value: unknown, text: string): unknown {
  if (typeof value === "string") return text;
  if (Array.isArray(value)) return value.map((v) => echoStrings(v, text));
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, echoStrings(v, text)]));
  return value;
}

/** Cut a text into `parts` roughly equal pieces (at least 1 char each). */
export function fragment(text: string, parts: number): string[] {
  const n = Math.max(1, Math.min(parts, text.length));
  const size = Math.ceil(text.length / n);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length > 0 ? out : [""];
}

function planToolCalls(intent: ChatIntent, controls: MockControls, seed: number): ToolCallPlan[] {
  if (intent.tools.length === 0 || intent.toolChoice === "none" || intent.lastIsToolResult) return [];
  const forced = intent.toolChoice !== "auto";
  if (!forced && !(controls.tools !== undefined && controls.tools > 0)) return [];
  const n = Math.max(1, controls.tools ?? 1);
  const choice = intent.toolChoice;
  const pick = (i: number): ToolSpec | undefined =>
    typeof choice === "object"
      ? intent.tools.find((t) => t.name === choice.name)
      : intent.tools[i % intent.tools.length];
  const calls: ToolCallPlan[] = [];
  for (let i = 0; i < n; i++) {
    const tool = pick(i);
    if (!tool) break;
    const callSeed = (seed + i * 7919) >>> 0;
    const value = valueForSchema(tool.schema ?? { type: "object" }, callSeed);
    const args = JSON.stringify(controls.echo ? echoStrings(value, echoText(intent, controls)) : value);
    calls.push({ name: tool.name, arguments: args, fragments: fragment(args, 4), seed: callSeed });
  }
  return calls;
}

/** Decide the whole answer for a chat request. */
export function planReply(provider: ProviderId, intent: ChatIntent, controls: MockControls): ReplyPlan {
  const seed = seedOf(intent.lastUserText);
  const usageBase = {
    promptTokens: promptTokens(intent),
    cachedTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
  };
  usageBase.cachedTokens = Math.min(controls.cached ?? 0, usageBase.promptTokens);
  usageBase.cacheWriteTokens = Math.min(
    controls.cache_write ?? 0,
    usageBase.promptTokens - usageBase.cachedTokens,
  );
  const reasoningPieces = words(seed ^ 0x5eed, controls.reasoning ?? 0).map((w, i) =>
    i === 0 ? w : ` ${w}`,
  );
  usageBase.reasoningTokens = reasoningPieces.length;
  const redacted = Array.from({ length: controls.redacted_thinking ?? 0 }, (_, i) =>
    Buffer.from(`mock-redacted-${seed}-${i}`).toString("base64"),
  );

  const toolCalls = planToolCalls(intent, controls, seed);
  if (toolCalls.length > 0) {
    const completion = toolCalls.reduce((n, c) => n + countTokens(c.name) + countTokens(c.arguments), 0);
    return {
      seed,
      pieces: [],
      reasoningPieces,
      redacted,
      toolCalls,
      finish: "tool_calls",
      stopSequence: undefined,
      usage: { ...usageBase, completionTokens: completion + usageBase.reasoningTokens },
      images: intent.images,
    };
  }

  // One piece per token: prefix words, then generated words (or the JSON text in pieces).
  let pieces: string[];
  if (intent.json && !controls.ignore_format) {
    const value =
      intent.json.schema !== undefined
        ? valueForSchema(intent.json.schema, seed)
        : {
            provider: PROVIDER_NAMES[provider],
            reply: words(seed, controls.words ?? DEFAULT_WORDS).join(" "),
          };
    const text = JSON.stringify(value);
    pieces = fragment(text, Math.max(2, Math.ceil(text.length / 8)));
  } else if (controls.echo) {
    const text = echoText(intent, controls);
    pieces = Array.from({ length: Math.ceil(text.length / 4) }, (_, i) => text.slice(i * 4, i * 4 + 4));
  } else {
    const all = [
      "Mock",
      "reply",
      "from",
      `${PROVIDER_NAMES[provider]}:`,
      ...words(seed, controls.words ?? DEFAULT_WORDS),
    ];
    pieces = all.map((w, i) => (i === 0 ? w : ` ${w}`));
  }

  let finish: ReplyPlan["finish"] = "stop";
  let stopSequence: string | undefined;
  // Stop sequences: cut the text before the first occurrence.
  const full = pieces.join("");
  let cutAt = full.length;
  for (const s of intent.stop) {
    const at = s === "" ? -1 : full.indexOf(s);
    if (at >= 0 && at < cutAt) {
      cutAt = at;
      stopSequence = s;
    }
  }
  if (stopSequence !== undefined) {
    finish = "stop_sequence";
    const kept: string[] = [];
    let len = 0;
    for (const p of pieces) {
      if (len + p.length <= cutAt) kept.push(p);
      else {
        if (cutAt > len) kept.push(p.slice(0, cutAt - len));
        break;
      }
      len += p.length;
    }
    pieces = kept;
  }
  // max_tokens counts reasoning too (as every vendor does); what is left is for text.
  if (intent.maxTokens !== undefined) {
    const room = Math.max(0, intent.maxTokens - usageBase.reasoningTokens);
    if (pieces.length > room) {
      pieces = pieces.slice(0, room);
      finish = "length";
      stopSequence = undefined;
    }
  }
  const completion = pieces.length + usageBase.reasoningTokens;
  return {
    seed,
    pieces,
    reasoningPieces,
    redacted,
    toolCalls: [],
    finish,
    stopSequence,
    usage: { ...usageBase, completionTokens: completion },
    images: intent.images,
  };
}

/** A deterministic unit-length embedding of `text`. */
export function embedding(text: string, dims: number): number[] {
  const next = prng(seedOf(text));
  const raw = Array.from({ length: dims }, () => next() * 2 - 1);
  const norm = Math.sqrt(raw.reduce((s, v) => s + v * v, 0)) || 1;
  return raw.map((v) => Math.round((v / norm) * 1e6) / 1e6);
}

/** Text of the reply, for non-streaming bodies. */
export function replyText(plan: ReplyPlan): string {
  return plan.pieces.join("");
}

export function reasoningText(plan: ReplyPlan): string {
  return plan.reasoningPieces.join("");
}

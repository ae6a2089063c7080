// Canonical ChatRequest → Anthropic Messages API body.
import { GatewayError } from "@switchyard/common";
import type { CacheControl, ChatRequest, ContentPart, Message } from "@switchyard/proto";
import { parseDataUrl } from "../shared/data-url.js";
import { argumentsObject, parseClientJson, type JsonObject } from "../shared/json.js";
import { jsonInstruction } from "../shared/json-instruction.js";
import { claudeThinking, claudeThinkingBudget } from "../shared/claude-thinking.js";
import { JSON_TOOL_DESCRIPTION, JSON_TOOL_NAME } from "./json-mode.js";

export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

type Block = JsonObject;
type Turn = { role: "user" | "assistant"; content: Block[] };

function mediaBlock(part: ContentPart, field: string): Block {
  switch (part.part.case) {
    case "text":
      return { type: "text", text: part.part.value };
    case "imageUrl": {
      const url = part.part.value.url;
      const data = parseDataUrl(url);
      if (data !== undefined)
        return { type: "image", source: { type: "base64", media_type: data.mediaType, data: data.base64 } };
      return { type: "image", source: { type: "url", url } };
    }
    case "file": {
      const file = part.part.value;
      const data = parseDataUrl(file.fileData);
      if (data === undefined) {
        throw new GatewayError(
          "invalid_argument",
          "the Anthropic adapter takes files as base64 data URLs (file_data), not file ids",
          { field },
        );
      }
      if (data.mediaType === "text/plain") {
        return {
          type: "document",
          source: {
            type: "text",
            media_type: "text/plain",
            data: Buffer.from(data.base64, "base64").toString("utf8"),
          },
        };
      }
      return { type: "document", source: { type: "base64", media_type: data.mediaType, data: data.base64 } };
    }
    case "inputAudio":
      throw new GatewayError("invalid_argument", "Anthropic models do not take audio input", { field });
    case undefined:
      throw new GatewayError("invalid_argument", `${field} is an empty content part`, { field });
  }
}

/** A prompt-caching breakpoint as Anthropic takes it; ttl only when one was asked for. */
function cacheControl(c: CacheControl | undefined): JsonObject | undefined {
  if (c === undefined) return undefined;
  const out: JsonObject = { type: c.type || "ephemeral" };
  if (c.ttl !== "") out["ttl"] = c.ttl;
  return out;
}

function withCache(block: Block, c: CacheControl | undefined): Block {
  const cc = cacheControl(c);
  if (cc !== undefined) block["cache_control"] = cc;
  return block;
}

/** Content blocks, without the empty text blocks Anthropic rejects; each keeps its part's breakpoint. */
function blocks(parts: ContentPart[], field: string): Block[] {
  const out: Block[] = [];
  parts.forEach((p, i) => {
    if (p.part.case === "text" && p.part.value === "") return;
    out.push(withCache(mediaBlock(p, `${field}.content[${i}]`), p.cacheControl));
  });
  return out;
}

/** The message's own breakpoint goes on the last block it produced that may carry one. */
function cacheLast(out: Block[], m: Message): Block[] {
  const cc = cacheControl(m.cacheControl);
  if (cc === undefined) return out;
  // Thinking blocks cannot carry cache_control.
  const last = out.findLast((b) => b["type"] !== "thinking" && b["type"] !== "redacted_thinking");
  if (last !== undefined) last["cache_control"] = cc;
  return out;
}

function textOf(m: Message, field: string): string {
  return textParts(m, field)
    .map((p) => p.text)
    .join("");
}

function textParts(m: Message, field: string): { text: string; part: ContentPart }[] {
  return m.content.map((p, i) => {
    if (p.part.case !== "text")
      throw new GatewayError("invalid_argument", `${m.role} messages take text only`, {
        field: `${field}.content[${i}]`,
      });
    return { text: p.part.value, part: p };
  });
}

/** One system block per text part, so each part's cache breakpoint stays where the client put it. */
function systemBlocks(m: Message, field: string): Block[] {
  const out = textParts(m, field)
    .filter((t) => t.text !== "")
    .map((t) => withCache({ type: "text", text: t.text }, t.part.cacheControl));
  return cacheLast(out, m);
}

function toolResult(m: Message, field: string): Block {
  // A plain string unless a part carries a breakpoint, which only a block can hold.
  const plain = m.content.every((p) => p.part.case === "text" && p.cacheControl === undefined);
  const content = plain ? textOf(m, field) : blocks(m.content, field);
  const block: Block = { type: "tool_result", tool_use_id: m.toolCallId, content };
  if (m.toolError) block["is_error"] = true;
  return withCache(block, m.cacheControl);
}

function assistantBlocks(m: Message, field: string): Block[] {
  const out: Block[] = [];
  // Anthropic only takes thinking back with the signature it issued for it; reasoning from other
  // upstreams (or unsigned) cannot be verified and would be rejected, so it is dropped.
  if (m.reasoningSignature !== "")
    out.push({ type: "thinking", thinking: m.reasoningContent, signature: m.reasoningSignature });
  for (const data of m.redactedReasoning) out.push({ type: "redacted_thinking", data });
  out.push(...blocks(m.content, field));
  m.toolCalls.forEach((c, i) => {
    out.push({
      type: "tool_use",
      id: c.id,
      name: c.functionName,
      input: argumentsObject(c.argumentsJson, `${field}.tool_calls[${i}].function.arguments`),
    });
  });
  return cacheLast(out, m);
}

/** Consecutive turns of one role merge (tool results and a following user message form one user turn). */
function appendTurn(turns: Turn[], role: Turn["role"], content: Block[]): void {
  const last = turns[turns.length - 1];
  if (last !== undefined && last.role === role) last.content.push(...content);
  else turns.push({ role, content });
}

function toolChoice(req: ChatRequest): Block | undefined {
  const mode = req.toolChoice?.mode ?? "";
  const noParallel = req.parallelToolCalls === false;
  let choice: Block | undefined;
  if (mode === "auto") choice = { type: "auto" };
  else if (mode === "required") choice = { type: "any" };
  else if (mode === "function") choice = { type: "tool", name: req.toolChoice?.functionName ?? "" };
  else if (mode === "none") return { type: "none" };
  if (noParallel) choice = { ...(choice ?? { type: "auto" }), disable_parallel_tool_use: true };
  return choice;
}

export function toAnthropicBody(req: ChatRequest, model: string, stream: boolean): JsonObject {
  const system: Block[] = [];
  const turns: Turn[] = [];
  req.messages.forEach((m, i) => {
    const field = `messages[${i}]`;
    switch (m.role) {
      case "system":
      case "developer":
        system.push(...systemBlocks(m, field));
        break;
      case "user":
        appendTurn(turns, "user", cacheLast(blocks(m.content, field), m));
        break;
      case "assistant":
        appendTurn(turns, "assistant", assistantBlocks(m, field));
        break;
      case "tool":
        appendTurn(turns, "user", [toolResult(m, field)]);
        break;
      default:
        throw new GatewayError("invalid_argument", `unknown role "${m.role}"`, { field: `${field}.role` });
    }
  });

  const body: JsonObject = { model };
  const budget = claudeThinkingBudget(req);
  let maxTokens =
    req.maxTokens ??
    (budget === undefined ? ANTHROPIC_DEFAULT_MAX_TOKENS : budget + ANTHROPIC_DEFAULT_MAX_TOKENS);
  // OpenAI's max_completion_tokens includes reasoning, so the budget fits inside max_tokens.
  const thinkingBlock = budget === undefined ? undefined : claudeThinking(budget, maxTokens);
  const thinking = thinkingBlock !== undefined;
  if (thinking) {
    body["thinking"] = thinkingBlock;
  } else {
    // Anthropic forbids changing the sampling parameters with thinking on.
    if (req.temperature !== undefined) body["temperature"] = req.temperature;
    if (req.topP !== undefined) body["top_p"] = req.topP;
    if (req.topK !== undefined) body["top_k"] = req.topK;
  }
  maxTokens = Math.max(1, maxTokens);

  const tools: Block[] = req.tools.map((t, i) => {
    const fn = t.function;
    if (fn === undefined)
      throw new GatewayError("invalid_argument", `tools[${i}].function is required`, {
        field: `tools[${i}].function`,
      });
    const tool: Block = {
      name: fn.name,
      input_schema:
        fn.parametersJson === ""
          ? { type: "object", properties: {} }
          : parseClientJson(fn.parametersJson, `tools[${i}].function.parameters`),
    };
    if (fn.description !== "") tool["description"] = fn.description;
    return withCache(tool, t.cacheControl);
  });
  let choice = req.tools.length > 0 ? toolChoice(req) : undefined;

  const rf = req.responseFormat;
  if (rf !== undefined && (rf.type === "json_object" || rf.type === "json_schema")) {
    const schema =
      rf.type === "json_schema" && rf.jsonSchema !== ""
        ? parseClientJson(rf.jsonSchema, "response_format.json_schema.schema")
        : undefined;
    if (tools.length === 0 && !thinking) {
      tools.push({
        name: JSON_TOOL_NAME,
        description: JSON_TOOL_DESCRIPTION,
        input_schema: schema ?? { type: "object" },
      });
      choice = { type: "tool", name: JSON_TOOL_NAME };
    } else {
      system.push({ type: "text", text: jsonInstruction(schema) });
    }
  }

  if (system.length > 0) body["system"] = system;
  body["messages"] = turns;
  body["max_tokens"] = maxTokens;
  if (req.stop.length > 0) body["stop_sequences"] = req.stop;
  if (tools.length > 0) body["tools"] = tools;
  if (choice !== undefined) body["tool_choice"] = choice;
  if (req.user !== "") body["metadata"] = { user_id: req.user };
  if (stream) body["stream"] = true;
  return body;
}

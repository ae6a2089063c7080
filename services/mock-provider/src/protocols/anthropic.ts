// Anthropic Messages API (api.anthropic.com/v1/messages): x-api-key + anthropic-version headers,
// content blocks (text, thinking, redacted_thinking, tool_use), SSE events message_start,
// content_block_start, ping, content_block_delta (text_delta, thinking_delta, signature_delta,
// input_json_delta), content_block_stop, message_delta, message_stop; errors
// {type:"error",error:{type,message}}.
import { deterministicId } from "../content.js";
import { headerValue, isRecord, jsonReply, randomId, retryHeaders } from "../http-reply.js";
import { SSE_HEADERS, sseFrame } from "../sse.js";
import type {
  ChatIntent,
  FinishReason,
  Frame,
  HttpReply,
  Operation,
  Protocol,
  ReplyPlan,
  ToolChoice,
  ToolSpec,
} from "../types.js";

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  503: "api_error",
  529: "overloaded_error",
};

const DEFAULT_MESSAGES: Record<string, string> = {
  rate_limit_error: "Number of requests has exceeded your rate limit (mock).",
  overloaded_error: "Overloaded",
  api_error: "Internal server error",
  authentication_error: "invalid x-api-key",
};

function requestId(): string {
  return `req_${randomId(24)}`;
}

function anthropicError(
  status: number,
  message: string,
  detail: { code?: string; retryAfter?: number } = {},
): HttpReply {
  const type = detail.code ?? ERROR_TYPES[status] ?? "api_error";
  const id = requestId();
  return jsonReply(
    status,
    {
      type: "error",
      error: { type, message: message || DEFAULT_MESSAGES[type] || "Mock error." },
      request_id: id,
    },
    {
      "request-id": id,
      ...retryHeaders(status, detail.retryAfter),
      ...(status === 529 || status >= 500 ? { "x-should-retry": "true" } : {}),
    },
  );
}

function blocksText(content: unknown): { text: string; images: number; onlyToolResults: boolean } {
  if (typeof content === "string") return { text: content, images: 0, onlyToolResults: false };
  if (!Array.isArray(content)) return { text: "", images: 0, onlyToolResults: false };
  let text = "";
  let images = 0;
  let onlyToolResults = content.length > 0;
  for (const b of content) {
    if (!isRecord(b)) continue;
    if (b.type !== "tool_result") onlyToolResults = false;
    if (b.type === "text" && typeof b.text === "string") text += (text ? "\n" : "") + b.text;
    if (b.type === "image") images++;
    if (b.type === "tool_result") text += (text ? "\n" : "") + JSON.stringify(b.content ?? "");
    if (b.type === "tool_use") text += (text ? "\n" : "") + JSON.stringify(b.input ?? {});
  }
  return { text, images, onlyToolResults };
}

function userText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .filter(
      (b): b is { type: "text"; text: string } =>
        isRecord(b) && b.type === "text" && typeof b.text === "string",
    )
    .map((b) => b.text)
    .join("\n");
}

function toolChoiceOf(v: unknown): ToolChoice {
  if (!isRecord(v)) return "auto";
  if (v.type === "none") return "none";
  if (v.type === "any") return "required";
  if (v.type === "tool" && typeof v.name === "string") return { name: v.name };
  return "auto";
}

export function parseAnthropicChat(body: unknown): ChatIntent | string {
  if (!isRecord(body)) return "The request body must be a JSON object.";
  if (typeof body.model !== "string") return "model: Field required";
  if (typeof body.max_tokens !== "number") return "max_tokens: Field required";
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) return "messages: at least one message is required";
  let promptText = blocksText(body.system).text + "\n";
  let lastUserText = "";
  let images = 0;
  let lastIsToolResult = false;
  for (const m of messages) {
    if (!isRecord(m) || (m.role !== "user" && m.role !== "assistant"))
      return "messages: roles must be user or assistant";
    const b = blocksText(m.content);
    promptText += `${b.text}\n`;
    images += b.images;
    if (m.role === "user") {
      const t = userText(m.content);
      if (t) lastUserText = t;
    }
    lastIsToolResult = m.role === "user" && b.onlyToolResults;
  }
  const tools: ToolSpec[] = [];
  if (Array.isArray(body.tools)) {
    for (const t of body.tools) {
      if (isRecord(t) && typeof t.name === "string") tools.push({ name: t.name, schema: t.input_schema });
    }
    promptText += JSON.stringify(body.tools);
  }
  const of = body.output_format;
  return {
    model: body.model,
    stream: body.stream === true,
    lastUserText,
    promptText,
    messageCount: messages.length,
    images,
    tools,
    toolChoice: toolChoiceOf(body.tool_choice),
    lastIsToolResult,
    maxTokens: body.max_tokens,
    stop: Array.isArray(body.stop_sequences) ? body.stop_sequences.filter((s) => typeof s === "string") : [],
    json: isRecord(of) && of.type === "json_schema" ? { schema: of.schema } : undefined,
    includeUsage: false,
  };
}

function stopReason(f: FinishReason): string {
  return f === "length"
    ? "max_tokens"
    : f === "tool_calls"
      ? "tool_use"
      : f === "stop_sequence"
        ? "stop_sequence"
        : "end_turn";
}

/** input_tokens is the prompt less its cache reads and writes, which are counted apart. */
function usage(plan: ReplyPlan, outputTokens: number): Record<string, unknown> {
  const { promptTokens, cachedTokens, cacheWriteTokens } = plan.usage;
  return {
    input_tokens: promptTokens - cachedTokens - cacheWriteTokens,
    cache_creation_input_tokens: cacheWriteTokens,
    cache_read_input_tokens: cachedTokens,
    cache_creation: { ephemeral_5m_input_tokens: cacheWriteTokens, ephemeral_1h_input_tokens: 0 },
    output_tokens: outputTokens,
  };
}

const toolUseId = (seed: number): string => `toolu_01${deterministicId(seed, 22)}`;
const signature = (seed: number): string => Buffer.from(`mock-signature-${seed}`).toString("base64");

export function createAnthropicProtocol(): Protocol {
  const models = { chat: "mock-claude", embed: undefined };
  return {
    provider: "anthropic",
    models,
    match(method: string, path: string): Operation | undefined {
      if (method === "POST" && path === "/v1/messages") return { kind: "chat", model: "", stream: false };
      if (method === "GET" && path === "/v1/models") return { kind: "models" };
      const m = /^\/v1\/models\/([^/]+)$/.exec(path);
      if (method === "GET" && m?.[1]) return { kind: "model", model: decodeURIComponent(m[1]) };
      return undefined;
    },
    authenticate(h) {
      if (!headerValue(h, "x-api-key") && !/^Bearer \S+/.test(headerValue(h, "authorization") ?? "")) {
        return anthropicError(401, "x-api-key header is required");
      }
      if (!headerValue(h, "anthropic-version"))
        return anthropicError(400, "anthropic-version: header is required");
      return undefined;
    },
    error: anthropicError,
    unknownModel(model) {
      return anthropicError(404, `model: ${model}`);
    },
    parseChat(body) {
      return parseAnthropicChat(body);
    },
    chat(intent, plan) {
      const content: Record<string, unknown>[] = [];
      if (plan.reasoningPieces.length > 0) {
        content.push({
          type: "thinking",
          thinking: plan.reasoningPieces.join(""),
          signature: signature(plan.seed),
        });
      }
      for (const data of plan.redacted) content.push({ type: "redacted_thinking", data });
      if (plan.pieces.length > 0) content.push({ type: "text", text: plan.pieces.join("") });
      for (const c of plan.toolCalls) {
        content.push({
          type: "tool_use",
          id: toolUseId(c.seed),
          name: c.name,
          input: JSON.parse(c.arguments) as unknown,
        });
      }
      const id = requestId();
      return jsonReply(
        200,
        {
          id: `msg_01${randomId(22)}`,
          type: "message",
          role: "assistant",
          model: intent.model,
          content,
          stop_reason: stopReason(plan.finish),
          stop_sequence: plan.stopSequence ?? null,
          usage: usage(plan, plan.usage.completionTokens),
        },
        { "request-id": id },
      );
    },
    chatStream(intent, plan) {
      const frames: Frame[] = [];
      const ev = (event: string, data: Record<string, unknown>, content = false): void => {
        frames.push(sseFrame({ type: event, ...data }, { event, content }));
      };
      ev("message_start", {
        message: {
          id: `msg_01${randomId(22)}`,
          type: "message",
          role: "assistant",
          model: intent.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: usage(plan, 1),
        },
      });
      let index = 0;
      let pinged = false;
      const start = (block: Record<string, unknown>): void => {
        ev("content_block_start", { index, content_block: block });
        if (!pinged) {
          ev("ping", {});
          pinged = true;
        }
      };
      const delta = (d: Record<string, unknown>): void =>
        ev("content_block_delta", { index, delta: d }, true);
      const stop = (): void => {
        ev("content_block_stop", { index });
        index++;
      };
      if (plan.reasoningPieces.length > 0) {
        start({ type: "thinking", thinking: "", signature: "" });
        for (const p of plan.reasoningPieces) delta({ type: "thinking_delta", thinking: p });
        ev("content_block_delta", {
          index,
          delta: { type: "signature_delta", signature: signature(plan.seed) },
        });
        stop();
      }
      for (const data of plan.redacted) {
        start({ type: "redacted_thinking", data });
        stop();
      }
      if (plan.pieces.length > 0 || plan.toolCalls.length === 0) {
        start({ type: "text", text: "" });
        for (const p of plan.pieces) delta({ type: "text_delta", text: p });
        stop();
      }
      for (const c of plan.toolCalls) {
        start({ type: "tool_use", id: toolUseId(c.seed), name: c.name, input: {} });
        ev("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: "" } });
        for (const f of c.fragments) delta({ type: "input_json_delta", partial_json: f });
        stop();
      }
      ev("message_delta", {
        delta: { stop_reason: stopReason(plan.finish), stop_sequence: plan.stopSequence ?? null },
        usage: { output_tokens: plan.usage.completionTokens },
      });
      ev("message_stop", {});
      return { headers: { ...SSE_HEADERS, "request-id": requestId() }, frames };
    },
    listModels(op) {
      const info = (id: string): Record<string, unknown> => ({
        type: "model",
        id,
        display_name: "Mock Claude (not a real model)",
        created_at: "2025-01-01T00:00:00Z",
      });
      if (op.kind === "model") return jsonReply(200, info(op.model));
      return jsonReply(200, {
        data: [info(models.chat)],
        has_more: false,
        first_id: models.chat,
        last_id: models.chat,
      });
    },
  };
}

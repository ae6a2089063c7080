// Canonical ChatRequest → OpenAI chat-completions JSON. The canonical model *is* OpenAI's, so
// this is mostly renaming; JSON text fields are parsed back into JSON values.
import { GatewayError } from "@switchyard/common";
import type { ChatRequest, ContentPart, Message } from "@switchyard/proto";
import { parseClientJson, type JsonObject } from "../shared/json.js";

export interface OpenAiBodyOptions {
  /** Send `model` (Azure takes the deployment from the URL instead). */
  model: string | undefined;
  stream: boolean;
  /** OpenAI's current name is max_completion_tokens; most compatible servers only know max_tokens. */
  maxTokensField: "max_completion_tokens" | "max_tokens";
  /** Ask for a final usage chunk (stream_options.include_usage). */
  streamUsage: boolean;
}

export function contentPartToOpenAi(part: ContentPart, field: string): JsonObject {
  switch (part.part.case) {
    case "text":
      return { type: "text", text: part.part.value };
    case "imageUrl": {
      const image: JsonObject = { url: part.part.value.url };
      if (part.part.value.detail !== "") image["detail"] = part.part.value.detail;
      return { type: "image_url", image_url: image };
    }
    case "inputAudio":
      return {
        type: "input_audio",
        input_audio: { data: part.part.value.data, format: part.part.value.format },
      };
    case "file": {
      const file: JsonObject = {};
      if (part.part.value.fileId !== "") file["file_id"] = part.part.value.fileId;
      if (part.part.value.filename !== "") file["filename"] = part.part.value.filename;
      if (part.part.value.fileData !== "") file["file_data"] = part.part.value.fileData;
      return { type: "file", file };
    }
    case undefined:
      throw new GatewayError("invalid_argument", `${field} is an empty content part`, { field });
  }
}

function isAllText(parts: ContentPart[]): boolean {
  return parts.every((p) => p.part.case === "text");
}

function content(m: Message, field: string): unknown {
  if (m.role === "assistant" && m.content.length === 0 && (m.toolCalls.length > 0 || m.refusal !== ""))
    return null;
  if (m.contentIsText && isAllText(m.content))
    return m.content.map((p) => (p.part.case === "text" ? p.part.value : "")).join("");
  return m.content.map((p, i) => contentPartToOpenAi(p, `${field}.content[${i}]`));
}

/**
 * Reasoning (and its signature), tool_error and cache_control stay behind: OpenAI has no such
 * message fields and some models reject unknown ones; DeepSeek rejects reasoning_content in input.
 */
export function messageToOpenAi(m: Message, field: string): JsonObject {
  const out: JsonObject = { role: m.role, content: content(m, field) };
  if (m.name !== "") out["name"] = m.name;
  if (m.toolCalls.length > 0) {
    out["tool_calls"] = m.toolCalls.map((c) => ({
      id: c.id,
      type: c.type || "function",
      function: { name: c.functionName, arguments: c.argumentsJson },
    }));
  }
  if (m.role === "tool") out["tool_call_id"] = m.toolCallId;
  if (m.refusal !== "") out["refusal"] = m.refusal;
  return out;
}

export function toolsToOpenAi(req: ChatRequest): JsonObject[] {
  return req.tools.map((t, i) => {
    const fn = t.function;
    if (fn === undefined)
      throw new GatewayError("invalid_argument", `tools[${i}].function is required`, {
        field: `tools[${i}].function`,
      });
    const out: JsonObject = { name: fn.name };
    if (fn.description !== "") out["description"] = fn.description;
    if (fn.parametersJson !== "")
      out["parameters"] = parseClientJson(fn.parametersJson, `tools[${i}].function.parameters`);
    if (fn.strict !== undefined) out["strict"] = fn.strict;
    return { type: t.type || "function", function: out };
  });
}

export function toolChoiceToOpenAi(req: ChatRequest): unknown {
  const choice = req.toolChoice;
  if (choice === undefined || choice.mode === "") return undefined;
  if (choice.mode === "function") return { type: "function", function: { name: choice.functionName } };
  return choice.mode;
}

export function responseFormatToOpenAi(req: ChatRequest): unknown {
  const rf = req.responseFormat;
  if (rf === undefined || rf.type === "") return undefined;
  if (rf.type !== "json_schema") return { type: rf.type };
  const schema: JsonObject = { name: rf.jsonSchemaName || "response" };
  if (rf.jsonSchema !== "")
    schema["schema"] = parseClientJson(rf.jsonSchema, "response_format.json_schema.schema");
  if (rf.strict !== undefined) schema["strict"] = rf.strict;
  return { type: "json_schema", json_schema: schema };
}

/** Sets `key` only when the value is present, so absent canonical fields stay absent upstream. */
function put(body: JsonObject, key: string, value: unknown): void {
  if (value !== undefined) body[key] = value;
}

export function toOpenAiBody(req: ChatRequest, opts: OpenAiBodyOptions): JsonObject {
  const body: JsonObject = {};
  put(body, "model", opts.model);
  body["messages"] = req.messages.map((m, i) => messageToOpenAi(m, `messages[${i}]`));
  if (req.tools.length > 0) {
    body["tools"] = toolsToOpenAi(req);
    put(body, "parallel_tool_calls", req.parallelToolCalls);
  }
  put(body, "tool_choice", toolChoiceToOpenAi(req));
  put(body, "response_format", responseFormatToOpenAi(req));
  put(body, "temperature", req.temperature);
  put(body, "top_p", req.topP);
  put(body, opts.maxTokensField, req.maxTokens);
  if (req.stop.length > 0) body["stop"] = req.stop;
  put(body, "n", req.n);
  put(body, "seed", req.seed === undefined ? undefined : Number(req.seed));
  put(body, "presence_penalty", req.presencePenalty);
  put(body, "frequency_penalty", req.frequencyPenalty);
  if (req.user !== "") body["user"] = req.user;
  // Not thinking_budget_tokens → reasoning_effort: Claude Code asks for thinking by default, and a
  // non-reasoning OpenAI model rejects reasoning_effort. top_k and the anthropic_* fields have no
  // OpenAI equivalent and are not sent either.
  if (req.reasoningEffort !== "") body["reasoning_effort"] = req.reasoningEffort;
  put(body, "logprobs", req.logprobs);
  put(body, "top_logprobs", req.topLogprobs);
  if (opts.stream) {
    body["stream"] = true;
    if (opts.streamUsage) body["stream_options"] = { include_usage: true };
  }
  return body;
}

// The OpenAI chat-completions wire format, shared by OpenAI, Azure OpenAI, Mistral and
// OpenAI-compatible servers: request reading, response and chunk building.
import { deterministicId, replyText } from "../content.js";
import { isRecord } from "../http-reply.js";
import type { ChatIntent, EmbedIntent, FinishReason, ReplyPlan, ToolChoice, ToolSpec } from "../types.js";

function partsText(content: unknown): { text: string; images: number } {
  if (typeof content === "string") return { text: content, images: 0 };
  if (!Array.isArray(content)) return { text: "", images: 0 };
  let text = "";
  let images = 0;
  for (const part of content) {
    if (!isRecord(part)) continue;
    if (part.type === "text" && typeof part.text === "string") text += (text ? "\n" : "") + part.text;
    if (part.type === "image_url") images++;
  }
  return { text, images };
}

function toolChoiceOf(v: unknown): ToolChoice {
  if (v === "none") return "none";
  if (v === "required" || v === "any") return "required";
  if (isRecord(v) && isRecord(v.function) && typeof v.function.name === "string")
    return { name: v.function.name };
  return "auto";
}

/** Read an OpenAI-format chat body; a string return is the validation message. */
export function parseOpenAiChat(body: unknown, model: string): ChatIntent | string {
  if (!isRecord(body)) return "The request body must be a JSON object.";
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) return "'messages' must be a non-empty array.";
  let promptText = "";
  let lastUserText = "";
  let images = 0;
  for (const m of messages) {
    if (!isRecord(m)) return "Each message must be an object.";
    const { text, images: n } = partsText(m.content);
    images += n;
    promptText += `${text}\n`;
    if (Array.isArray(m.tool_calls)) promptText += `${JSON.stringify(m.tool_calls)}\n`;
    if (m.role === "user") lastUserText = text;
  }
  const last = messages[messages.length - 1] as Record<string, unknown>;
  const tools: ToolSpec[] = [];
  if (Array.isArray(body.tools)) {
    for (const t of body.tools) {
      if (isRecord(t) && isRecord(t.function) && typeof t.function.name === "string") {
        tools.push({ name: t.function.name, schema: t.function.parameters });
      }
    }
    promptText += JSON.stringify(body.tools);
  }
  const rf = body.response_format;
  let json: ChatIntent["json"];
  if (isRecord(rf) && rf.type === "json_object") json = {};
  if (isRecord(rf) && rf.type === "json_schema") {
    json = { schema: isRecord(rf.json_schema) ? rf.json_schema.schema : undefined };
  }
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  const stop =
    typeof body.stop === "string"
      ? [body.stop]
      : Array.isArray(body.stop)
        ? body.stop.filter((s) => typeof s === "string")
        : [];
  return {
    model,
    stream: body.stream === true,
    lastUserText,
    promptText,
    messageCount: messages.length,
    images,
    tools,
    toolChoice: toolChoiceOf(body.tool_choice),
    lastIsToolResult: last.role === "tool",
    maxTokens: typeof maxTokens === "number" ? maxTokens : undefined,
    stop,
    json,
    includeUsage: isRecord(body.stream_options) && body.stream_options.include_usage === true,
  };
}

export function parseOpenAiEmbed(body: unknown, model: string): EmbedIntent | string {
  if (!isRecord(body)) return "The request body must be a JSON object.";
  const input = body.input;
  let inputs: string[];
  if (typeof input === "string") inputs = [input];
  else if (Array.isArray(input) && input.length > 0) {
    inputs = input.map((x) => (typeof x === "string" ? x : JSON.stringify(x)));
  } else return "'input' must be a string or a non-empty array.";
  return {
    model,
    inputs,
    dimensions: typeof body.dimensions === "number" ? body.dimensions : undefined,
    base64: body.encoding_format === "base64",
    batch: false,
  };
}

export function openAiFinish(finish: FinishReason): string {
  return finish === "length" ? "length" : finish === "tool_calls" ? "tool_calls" : "stop";
}

export interface OpenAiFlavour {
  /** Tool call id for the i-th call. */
  toolCallId(seed: number): string;
  /** Usage object for the body. */
  usage(plan: ReplyPlan): Record<string, unknown>;
  /** Extra top-level fields of a completion and of a chunk. */
  extra?: Record<string, unknown>;
  /** Extra fields on each choice (e.g. Azure content_filter_results). */
  choiceExtra?: Record<string, unknown>;
  /** Streamed tool-call arguments come in fragments (OpenAI) or whole (Mistral). */
  fragmentToolArgs: boolean;
  /** Put reasoning text in `reasoning_content` (vLLM/DeepSeek style). */
  reasoningContent: boolean;
}

export function openAiUsage(plan: ReplyPlan): Record<string, unknown> {
  const u = plan.usage;
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.promptTokens + u.completionTokens,
    prompt_tokens_details: { cached_tokens: u.cachedTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: u.reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

export function openAiCompletion(
  id: string,
  created: number,
  intent: ChatIntent,
  plan: ReplyPlan,
  flavour: OpenAiFlavour,
): Record<string, unknown> {
  const message: Record<string, unknown> = {
    role: "assistant",
    content: null,
    refusal: null,
    annotations: [],
  };
  if (plan.toolCalls.length > 0) {
    message.tool_calls = plan.toolCalls.map((c) => ({
      id: flavour.toolCallId(c.seed),
      type: "function",
      function: { name: c.name, arguments: c.arguments },
    }));
  } else {
    message.content = replyText(plan);
  }
  if (flavour.reasoningContent && plan.reasoningPieces.length > 0)
    message.reasoning_content = plan.reasoningPieces.join("");
  return {
    id,
    object: "chat.completion",
    created,
    model: intent.model,
    choices: [
      { index: 0, message, logprobs: null, finish_reason: openAiFinish(plan.finish), ...flavour.choiceExtra },
    ],
    usage: flavour.usage(plan),
    ...flavour.extra,
  };
}

/** The chunk objects of a streamed completion, in order, with `content` marking token chunks. */
export function openAiChunks(
  id: string,
  created: number,
  intent: ChatIntent,
  plan: ReplyPlan,
  flavour: OpenAiFlavour,
  opts: { usageInLastChunk: boolean },
): { chunk: Record<string, unknown>; content: boolean }[] {
  const withUsage = intent.includeUsage && !opts.usageInLastChunk;
  const chunk = (delta: Record<string, unknown>, finish: string | null): Record<string, unknown> => ({
    id,
    object: "chat.completion.chunk",
    created,
    model: intent.model,
    ...flavour.extra,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish, ...flavour.choiceExtra }],
    ...(withUsage ? { usage: null } : {}),
  });
  const out: { chunk: Record<string, unknown>; content: boolean }[] = [];
  out.push({ chunk: chunk({ role: "assistant", content: "", refusal: null }, null), content: false });
  if (flavour.reasoningContent) {
    for (const p of plan.reasoningPieces)
      out.push({ chunk: chunk({ reasoning_content: p }, null), content: true });
  }
  plan.toolCalls.forEach((c, index) => {
    const callId = flavour.toolCallId(c.seed);
    if (!flavour.fragmentToolArgs) {
      out.push({
        chunk: chunk(
          {
            tool_calls: [
              { index, id: callId, type: "function", function: { name: c.name, arguments: c.arguments } },
            ],
          },
          null,
        ),
        content: true,
      });
      return;
    }
    out.push({
      chunk: chunk(
        { tool_calls: [{ index, id: callId, type: "function", function: { name: c.name, arguments: "" } }] },
        null,
      ),
      content: true,
    });
    for (const f of c.fragments) {
      out.push({
        chunk: chunk({ tool_calls: [{ index, function: { arguments: f } }] }, null),
        content: true,
      });
    }
  });
  for (const p of plan.pieces) out.push({ chunk: chunk({ content: p }, null), content: true });
  const last = chunk({}, openAiFinish(plan.finish));
  if (opts.usageInLastChunk) last.usage = flavour.usage(plan);
  out.push({ chunk: last, content: false });
  if (withUsage) {
    out.push({
      chunk: {
        id,
        object: "chat.completion.chunk",
        created,
        model: intent.model,
        ...flavour.extra,
        choices: [],
        usage: flavour.usage(plan),
      },
      content: false,
    });
  }
  return out;
}

export function openAiToolCallId(seed: number): string {
  return `call_${deterministicId(seed, 24)}`;
}

/** Float32 little-endian base64, as OpenAI's `encoding_format: "base64"`. */
export function base64Vector(v: number[]): string {
  return Buffer.from(new Float32Array(v).buffer).toString("base64");
}

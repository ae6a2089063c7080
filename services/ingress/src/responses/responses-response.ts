// Canonical answers → OpenAI's Response object (POST /v1/responses), shaped as the openai SDK
// types it and the Vercel AI SDK validates it. The item builders and the envelope are shared with
// the stream encoder, whose response.completed carries the same object.
import type { ChatResponse, Message, Usage } from "@switchyard/proto";
import type { ResponseEcho } from "./responses-request.js";

export interface ResponseContext {
  /** The gateway's request id: every id of the answer derives from it (responseIds). */
  id: string;
  /** The model name the client asked for, repeated as `model`. */
  alias: string;
  /** Unix seconds. */
  createdAt: number;
  echo: ResponseEcho;
}

type Json = Record<string, unknown>;
export type ItemStatus = "in_progress" | "completed" | "incomplete";

export function responseIds(requestId: string): {
  response: string;
  message: string;
  reasoning: string;
  functionCall: (n: number) => string;
} {
  return {
    response: `resp_${requestId}`,
    message: `msg_${requestId}`,
    reasoning: `rs_${requestId}`,
    functionCall: (n) => `fc_${requestId}_${n}`,
  };
}

export function responsesUsageJson(u: Usage): Json {
  return {
    input_tokens: u.promptTokens,
    input_tokens_details: { cached_tokens: u.cachedTokens, cache_write_tokens: u.cacheWriteTokens },
    output_tokens: u.completionTokens,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens },
    total_tokens: u.totalTokens || u.promptTokens + u.completionTokens,
  };
}

/** How the answer ended, from the canonical finish reason. */
export interface Ending {
  status: "in_progress" | "completed" | "incomplete" | "failed";
  incomplete_details: { reason: "max_output_tokens" | "content_filter" } | null;
  error: { code: string; message: string } | null;
}

export function ending(finishReason: string): Ending {
  switch (finishReason) {
    case "length":
      return { status: "incomplete", incomplete_details: { reason: "max_output_tokens" }, error: null };
    case "content_filter":
      return { status: "incomplete", incomplete_details: { reason: "content_filter" }, error: null };
    case "error":
      return {
        status: "failed",
        incomplete_details: null,
        error: { code: "server_error", message: "the model's answer ended with an error" },
      };
    default:
      return { status: "completed", incomplete_details: null, error: null };
  }
}

/** The status of the item the answer ended in (earlier items completed before it). */
export const lastItemStatus = (e: Ending): ItemStatus =>
  e.status === "completed" ? "completed" : "incomplete";

/** The model's own reasoning; encrypted_content carries the upstream's signature of it, if any. */
export function reasoningItem(id: string, text: string, signature: string): Json {
  return {
    type: "reasoning",
    id,
    summary: [],
    content: [{ type: "reasoning_text", text }],
    ...(signature ? { encrypted_content: signature } : {}),
  };
}

export const outputTextPart = (text: string): Json => ({
  type: "output_text",
  text,
  annotations: [],
  logprobs: [],
});
export const refusalPart = (refusal: string): Json => ({ type: "refusal", refusal });

export function messageItem(id: string, content: Json[], status: ItemStatus): Json {
  return { type: "message", id, status, role: "assistant", content };
}

export function functionCallItem(
  id: string,
  call: { callId: string; name: string; args: string },
  status: ItemStatus,
): Json {
  return { type: "function_call", id, call_id: call.callId, name: call.name, arguments: call.args, status };
}

/** The Response object around its output items. */
export function responseObject(
  ctx: ResponseContext,
  end: Ending,
  output: Json[],
  usage: Usage | undefined,
): Json {
  const e = ctx.echo;
  return {
    id: responseIds(ctx.id).response,
    object: "response",
    created_at: ctx.createdAt,
    status: end.status,
    background: false,
    error: end.error,
    incomplete_details: end.incomplete_details,
    instructions: e.instructions,
    max_output_tokens: e.max_output_tokens,
    model: ctx.alias,
    output,
    parallel_tool_calls: e.parallel_tool_calls,
    previous_response_id: null,
    reasoning: e.reasoning,
    store: e.store,
    temperature: e.temperature,
    text: e.text,
    tool_choice: e.tool_choice,
    tools: e.tools,
    top_p: e.top_p,
    truncation: e.truncation,
    usage: usage === undefined ? null : responsesUsageJson(usage),
    user: e.user,
    metadata: e.metadata,
  };
}

/** Output items in the order a model produces them: reasoning, the message, then its tool calls. */
function outputItems(m: Message | undefined, ids: ReturnType<typeof responseIds>, end: Ending): Json[] {
  if (m === undefined) return [];
  const text = m.content.map((p) => (p.part.case === "text" ? p.part.value : "")).join("");
  const parts = [...(text ? [outputTextPart(text)] : []), ...(m.refusal ? [refusalPart(m.refusal)] : [])];
  const items = [
    ...(m.reasoningContent || m.reasoningSignature
      ? [reasoningItem(ids.reasoning, m.reasoningContent, m.reasoningSignature)]
      : []),
    ...(parts.length > 0 ? [messageItem(ids.message, parts, "completed")] : []),
    ...m.toolCalls.map((c, n) =>
      functionCallItem(
        ids.functionCall(n),
        { callId: c.id, name: c.functionName, args: c.argumentsJson },
        "completed",
      ),
    ),
  ];
  const last = items.at(-1);
  if (last !== undefined && "status" in last) last["status"] = lastItemStatus(end);
  return items;
}

/** The Response for an answer; without one, the in-progress snapshot a stream starts with. */
export function responseJson(r: ChatResponse | undefined, ctx: ResponseContext): Json {
  if (r === undefined) {
    return responseObject(
      ctx,
      { status: "in_progress", incomplete_details: null, error: null },
      [],
      undefined,
    );
  }
  const choice = r.choices[0];
  const end = ending(choice?.finishReason ?? "");
  return responseObject(ctx, end, outputItems(choice?.message, responseIds(ctx.id), end), r.usage);
}

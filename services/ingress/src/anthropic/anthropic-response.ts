// Canonical answers → Anthropic's message object, as the official SDKs and Claude Code parse it.
import type { ChatResponse, Usage } from "@switchyard/proto";

/**
 * Anthropic's usage: input_tokens counts only the uncached part of the prompt (canonical
 * promptTokens includes cache reads and writes), and cache writes split by TTL.
 */
export function anthropicUsageJson(u: Usage | undefined): Record<string, unknown> {
  const prompt = u?.promptTokens ?? 0;
  const read = u?.cachedTokens ?? 0;
  const write = u?.cacheWriteTokens ?? 0;
  const write1h = u?.cacheWrite1hTokens ?? 0;
  return {
    input_tokens: Math.max(0, prompt - read - write),
    output_tokens: u?.completionTokens ?? 0,
    cache_creation_input_tokens: write,
    cache_read_input_tokens: read,
    cache_creation: {
      ephemeral_5m_input_tokens: Math.max(0, write - write1h),
      ephemeral_1h_input_tokens: write1h,
    },
  };
}

export function stopReason(
  finishReason: string,
  stopSequence: string,
): { stop_reason: string; stop_sequence: string | null } {
  const reason =
    finishReason === "stop"
      ? stopSequence !== ""
        ? "stop_sequence"
        : "end_turn"
      : finishReason === "length"
        ? "max_tokens"
        : finishReason === "tool_calls"
          ? "tool_use"
          : finishReason === "content_filter"
            ? "refusal"
            : "end_turn";
  return { stop_reason: reason, stop_sequence: reason === "stop_sequence" ? stopSequence : null };
}

/**
 * A tool_use input must be a JSON object. Upstreams other than Anthropic return arguments as
 * text that may be cut short (max_tokens) or malformed; `{}` keeps the message parseable, and the
 * stop reason tells the client why.
 */
function toolInput(argumentsJson: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(argumentsJson);
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through to {}
  }
  return {};
}

/** The upstream's id when it is already Anthropic's (msg_...), else one made from the request id. */
export function messageIdFor(upstreamId: string, requestId: string): string {
  return upstreamId.startsWith("msg_") ? upstreamId : `msg_${requestId}`;
}

export function messageJson(r: ChatResponse, alias: string, messageId: string): Record<string, unknown> {
  const choice = r.choices[0];
  const m = choice?.message;
  const content: Record<string, unknown>[] = [];
  if (m !== undefined && (m.reasoningContent !== "" || m.reasoningSignature !== ""))
    content.push({ type: "thinking", thinking: m.reasoningContent, signature: m.reasoningSignature });
  for (const data of m?.redactedReasoning ?? []) content.push({ type: "redacted_thinking", data });
  // An OpenAI refusal has no block of its own in Anthropic's shape: it is the answer's text.
  const text =
    (m?.content ?? []).map((p) => (p.part.case === "text" ? p.part.value : "")).join("") || m?.refusal;
  if (text) content.push({ type: "text", text });
  for (const c of m?.toolCalls ?? [])
    content.push({ type: "tool_use", id: c.id, name: c.functionName, input: toolInput(c.argumentsJson) });
  return {
    id: messageId,
    type: "message",
    role: "assistant",
    model: alias,
    content,
    ...stopReason(choice?.finishReason ?? "", choice?.stopSequence ?? ""),
    usage: anthropicUsageJson(r.usage),
  };
}

// Canonical protobuf answers → OpenAI's JSON shapes, byte-compatible with what the official
// SDKs parse (chat.completion, chat.completion.chunk, list of embeddings).
import type { ChatChunk, ChatResponse, EmbedResponse, Message, Usage } from "@switchyard/proto";

export function usageJson(u: Usage | undefined): Record<string, unknown> | undefined {
  if (u === undefined) return undefined;
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.totalTokens || u.promptTokens + u.completionTokens,
    prompt_tokens_details: { cached_tokens: u.cachedTokens, audio_tokens: u.audioPromptTokens },
    completion_tokens_details: { reasoning_tokens: u.reasoningTokens, audio_tokens: u.audioCompletionTokens },
  };
}

function messageJson(m: Message | undefined): Record<string, unknown> {
  const text = (m?.content ?? []).map((p) => (p.part.case === "text" ? p.part.value : "")).join("");
  const toolCalls = (m?.toolCalls ?? []).map((c) => ({
    id: c.id,
    type: "function",
    function: { name: c.functionName, arguments: c.argumentsJson },
  }));
  return {
    role: "assistant",
    // No text beside tool calls or a refusal is null, as OpenAI sends it.
    content: text === "" && (toolCalls.length > 0 || (m?.refusal ?? "") !== "") ? null : text,
    refusal: m?.refusal === "" || m === undefined ? null : m.refusal,
    // Where OpenAI-compatible servers (DeepSeek, vLLM) put reasoning text; OpenAI's own SDK keeps
    // unknown fields, so clients that know it read it and the others ignore it.
    ...(m !== undefined && m.reasoningContent !== "" ? { reasoning_content: m.reasoningContent } : {}),
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
  };
}

export function chatResponseJson(r: ChatResponse, alias: string): Record<string, unknown> {
  return {
    id: r.id,
    object: "chat.completion",
    created: Number(r.created),
    model: alias,
    choices: r.choices.map((c) => ({
      index: c.index,
      message: messageJson(c.message),
      logprobs: null,
      finish_reason: c.finishReason === "" ? "stop" : c.finishReason,
    })),
    usage: usageJson(r.usage),
    system_fingerprint: r.systemFingerprint === "" ? null : r.systemFingerprint,
  };
}

export function chatChunkJson(c: ChatChunk, alias: string): Record<string, unknown> {
  return {
    id: c.id,
    object: "chat.completion.chunk",
    created: Number(c.created),
    model: alias,
    choices: c.choices.map((ch) => {
      const d = ch.delta;
      const delta: Record<string, unknown> = {};
      if (d?.role) delta.role = d.role;
      if (d?.content !== undefined) delta.content = d.content;
      if (d?.reasoningContent !== undefined) delta.reasoning_content = d.reasoningContent;
      if (d?.refusal !== undefined) delta.refusal = d.refusal;
      if (d !== undefined && d.toolCalls.length > 0) {
        delta.tool_calls = d.toolCalls.map((t) => ({
          index: t.index,
          ...(t.id ? { id: t.id, type: "function" } : {}),
          function: { ...(t.functionName ? { name: t.functionName } : {}), arguments: t.argumentsJson },
        }));
      }
      return {
        index: ch.index,
        delta,
        logprobs: null,
        finish_reason: ch.finishReason === "" ? null : ch.finishReason,
      };
    }),
    // A chunk's own usage (the prompt side an upstream reports at its start) is not OpenAI's:
    // the door writes the final usage chunk itself, from the stream's end.
  };
}

export function embedResponseJson(r: EmbedResponse, alias: string, format: string): Record<string, unknown> {
  return {
    object: "list",
    model: alias,
    data: r.data.map((e) => ({
      object: "embedding",
      index: e.index,
      embedding:
        format === "base64" ? Buffer.from(new Float32Array(e.vector).buffer).toString("base64") : e.vector,
    })),
    usage: {
      prompt_tokens: r.usage?.promptTokens ?? 0,
      total_tokens: r.usage?.totalTokens || (r.usage?.promptTokens ?? 0),
    },
  };
}

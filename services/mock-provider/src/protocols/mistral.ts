// Mistral La Plateforme (api.mistral.ai/v1): OpenAI-like with Mistral's differences: tool call
// ids of 9 alphanumerics, tool calls streamed whole in one delta, usage in the last streamed chunk
// (no stream_options), `tool_choice: "any"`, error bodies `{object:"error",message,type,param,code}`.
import { deterministicId } from "../content.js";
import { headerValue, jsonReply, randomId, retryHeaders } from "../http-reply.js";
import { SSE_HEADERS, sseDone, sseFrame } from "../sse.js";
import type { HttpReply, Operation, Protocol, ReplyPlan } from "../types.js";
import {
  openAiChunks,
  openAiCompletion,
  parseOpenAiChat,
  parseOpenAiEmbed,
  type OpenAiFlavour,
} from "./openai-wire.js";
import { modelList } from "./openai.js";

const TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "unauthorized",
  404: "not_found",
  422: "invalid_request_error",
  429: "rate_limited",
  500: "internal_server_error",
  503: "service_unavailable",
};

function mistralError(
  status: number,
  message: string,
  detail: { code?: string; retryAfter?: number } = {},
): HttpReply {
  return jsonReply(
    status,
    {
      object: "error",
      message: message || (status === 429 ? "Requests rate limit exceeded (mock)" : `Mock error ${status}`),
      type: TYPES[status] ?? "internal_server_error",
      param: null,
      code: detail.code ?? String(status),
    },
    retryHeaders(status, detail.retryAfter),
  );
}

function mistralUsage(plan: ReplyPlan): Record<string, unknown> {
  const u = plan.usage;
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.promptTokens + u.completionTokens,
    ...(u.cachedTokens > 0 ? { prompt_tokens_details: { cached_tokens: u.cachedTokens } } : {}),
  };
}

export function createMistralProtocol(): Protocol {
  const models = { chat: "mock-mistral", embed: "mock-mistral-embed" };
  const flavour: OpenAiFlavour = {
    toolCallId: (seed) => deterministicId(seed, 9),
    usage: mistralUsage,
    fragmentToolArgs: false,
    reasoningContent: false,
  };
  const headers = (): Record<string, string> => ({ "mistral-correlation-id": randomId(32) });
  return {
    provider: "mistral",
    models,
    match(method: string, path: string): Operation | undefined {
      if (method === "POST" && path === "/v1/chat/completions")
        return { kind: "chat", model: "", stream: false };
      if (method === "POST" && path === "/v1/embeddings") return { kind: "embed", model: "", batch: false };
      if (method === "GET" && path === "/v1/models") return { kind: "models" };
      return undefined;
    },
    authenticate(h) {
      if (/^Bearer \S+/.test(headerValue(h, "authorization") ?? "")) return undefined;
      return jsonReply(401, { message: "Unauthorized", request_id: randomId(32) });
    },
    error: mistralError,
    unknownModel(model) {
      return mistralError(400, `Invalid model: ${model}`, { code: "1500" });
    },
    parseChat(body) {
      const model = (body as { model?: unknown } | null)?.model;
      if (typeof model !== "string") return "model: Field required";
      return parseOpenAiChat(body, model);
    },
    parseEmbed(body) {
      const model = (body as { model?: unknown } | null)?.model;
      if (typeof model !== "string") return "model: Field required";
      const intent = parseOpenAiEmbed(body, model);
      if (typeof intent !== "string") {
        const dims = (body as { output_dimension?: unknown }).output_dimension;
        if (typeof dims === "number") intent.dimensions = dims;
      }
      return intent;
    },
    chat(intent, plan) {
      const body = openAiCompletion(
        randomId(32).toLowerCase(),
        Math.floor(Date.now() / 1000),
        intent,
        plan,
        flavour,
      );
      // Mistral's message has no refusal/annotations fields and tool_calls is null without calls.
      const choice = (body.choices as Record<string, unknown>[])[0]!;
      const message = choice.message as Record<string, unknown>;
      delete message.refusal;
      delete message.annotations;
      message.tool_calls ??= null;
      if (message.content === null) message.content = "";
      delete choice.logprobs;
      return jsonReply(200, body, headers());
    },
    chatStream(intent, plan) {
      const chunks = openAiChunks(
        randomId(32).toLowerCase(),
        Math.floor(Date.now() / 1000),
        { ...intent, includeUsage: false },
        plan,
        flavour,
        { usageInLastChunk: true },
      );
      for (const c of chunks) {
        const choice = (c.chunk.choices as Record<string, unknown>[])[0];
        if (!choice) continue;
        delete choice.logprobs;
        const delta = choice.delta as Record<string, unknown>;
        delete delta.refusal;
      }
      return {
        headers: { ...SSE_HEADERS, ...headers() },
        frames: [...chunks.map((c) => sseFrame(c.chunk, { content: c.content })), sseDone()],
      };
    },
    embed(intent, vectors, promptTokens) {
      return jsonReply(
        200,
        {
          id: randomId(32).toLowerCase(),
          object: "list",
          data: vectors.map((embedding, index) => ({ object: "embedding", embedding, index })),
          model: intent.model,
          usage: { prompt_tokens: promptTokens, total_tokens: promptTokens, completion_tokens: 0 },
        },
        headers(),
      );
    },
    listModels() {
      return modelList([models.chat, models.embed], "mistralai");
    },
  };
}

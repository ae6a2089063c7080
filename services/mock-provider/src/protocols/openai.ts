// OpenAI (api.openai.com/v1) and generic OpenAI-compatible servers (vLLM, Ollama...):
// /chat/completions (JSON and SSE ending in `data: [DONE]`), /embeddings, /models.
import { headerValue, jsonReply, randomId, retryHeaders } from "../http-reply.js";
import { SSE_HEADERS, sseDone, sseFrame } from "../sse.js";
import type { HttpReply, Operation, Protocol } from "../types.js";
import {
  base64Vector,
  openAiChunks,
  openAiCompletion,
  openAiToolCallId,
  openAiUsage,
  parseOpenAiChat,
  parseOpenAiEmbed,
  type OpenAiFlavour,
} from "./openai-wire.js";

const ERROR_TYPES: Record<number, { type: string; code: string | null; message: string }> = {
  400: { type: "invalid_request_error", code: null, message: "Invalid request (mock)." },
  401: {
    type: "invalid_request_error",
    code: "invalid_api_key",
    message: "Incorrect API key provided (mock).",
  },
  403: {
    type: "invalid_request_error",
    code: "unsupported_country_region_territory",
    message: "Forbidden (mock).",
  },
  404: { type: "invalid_request_error", code: null, message: "Not found (mock)." },
  429: {
    type: "requests",
    code: "rate_limit_exceeded",
    message: "Rate limit reached for mock requests per min (RPM).",
  },
  500: {
    type: "server_error",
    code: null,
    message: "The server had an error while processing your request (mock).",
  },
  503: {
    type: "server_error",
    code: null,
    message: "The engine is currently overloaded, please try again later (mock).",
  },
};

export function openAiError(
  status: number,
  message: string,
  detail: { code?: string; retryAfter?: number } = {},
): HttpReply {
  const known = ERROR_TYPES[status] ?? { type: "server_error", code: null, message: "" };
  return jsonReply(
    status,
    {
      error: {
        message: message || known.message,
        type: known.type,
        param: null,
        code: detail.code ?? known.code,
      },
    },
    retryHeaders(status, detail.retryAfter),
  );
}

export function modelList(ids: string[], ownedBy: string): HttpReply {
  return jsonReply(200, {
    object: "list",
    data: ids.map((id) => ({ id, object: "model", created: 1700000000, owned_by: ownedBy })),
  });
}

export function createOpenAiProtocol(provider: "openai" | "compat"): Protocol {
  const models =
    provider === "openai"
      ? { chat: "mock-gpt", embed: "mock-embed" }
      : { chat: "mock-compat", embed: "mock-compat-embed" };
  const flavour: OpenAiFlavour = {
    toolCallId: openAiToolCallId,
    usage: openAiUsage,
    extra: provider === "openai" ? { service_tier: "default", system_fingerprint: "fp_mock0001" } : {},
    fragmentToolArgs: true,
    reasoningContent: provider === "compat",
  };
  const headers = (): Record<string, string> => ({
    "x-request-id": `req_${randomId(24)}`,
    "openai-processing-ms": "1",
  });
  return {
    provider,
    models,
    match(method: string, path: string): Operation | undefined {
      if (method === "POST" && path === "/v1/chat/completions")
        return { kind: "chat", model: "", stream: false };
      if (method === "POST" && path === "/v1/embeddings") return { kind: "embed", model: "", batch: false };
      if (method === "GET" && path === "/v1/models") return { kind: "models" };
      const m = /^\/v1\/models\/([^/]+)$/.exec(path);
      if (method === "GET" && m?.[1]) return { kind: "model", model: decodeURIComponent(m[1]) };
      return undefined;
    },
    authenticate(h) {
      const auth = headerValue(h, "authorization");
      if (provider === "compat" || (auth && /^Bearer \S+/.test(auth))) return undefined;
      return openAiError(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        { code: "missing_api_key" },
      );
    },
    error: openAiError,
    unknownModel(model) {
      return openAiError(404, `The model \`${model}\` does not exist or you do not have access to it.`, {
        code: "model_not_found",
      });
    },
    parseChat(body) {
      const model = (body as { model?: unknown } | null)?.model;
      if (typeof model !== "string") return "you must provide a model parameter";
      return parseOpenAiChat(body, model);
    },
    parseEmbed(body) {
      const model = (body as { model?: unknown } | null)?.model;
      if (typeof model !== "string") return "you must provide a model parameter";
      return parseOpenAiEmbed(body, model);
    },
    chat(intent, plan) {
      const id = `chatcmpl-${randomId(29)}`;
      return jsonReply(
        200,
        openAiCompletion(id, Math.floor(Date.now() / 1000), intent, plan, flavour),
        headers(),
      );
    },
    chatStream(intent, plan) {
      const id = `chatcmpl-${randomId(29)}`;
      const chunks = openAiChunks(id, Math.floor(Date.now() / 1000), intent, plan, flavour, {
        usageInLastChunk: false,
      });
      return {
        headers: { ...SSE_HEADERS, ...headers() },
        frames: [...chunks.map((c) => sseFrame(c.chunk, { content: c.content })), sseDone()],
      };
    },
    embed(intent, vectors, promptTokens) {
      return jsonReply(
        200,
        {
          object: "list",
          data: vectors.map((v, index) => ({
            object: "embedding",
            index,
            embedding: intent.base64 ? base64Vector(v) : v,
          })),
          model: intent.model,
          usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
        },
        headers(),
      );
    },
    listModels(op) {
      if (op.kind === "model") {
        return jsonReply(200, { id: op.model, object: "model", created: 1700000000, owned_by: "mock" });
      }
      return modelList([models.chat, models.embed], "mock");
    },
  };
}

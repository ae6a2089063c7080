// Azure OpenAI: /openai/deployments/{deployment}/chat/completions|embeddings?api-version=...
// with an `api-key` header (or Entra `Authorization: Bearer`). The body is OpenAI's plus Azure's
// content-filter annotations; a stream opens with a `prompt_filter_results` chunk whose
// `choices` is empty.
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

const SAFE = { filtered: false, severity: "safe" };
const CONTENT_FILTER = { hate: SAFE, self_harm: SAFE, sexual: SAFE, violence: SAFE };
const PROMPT_FILTER = [
  {
    prompt_index: 0,
    content_filter_results: { ...CONTENT_FILTER, jailbreak: { filtered: false, detected: false } },
  },
];

function azureError(
  status: number,
  message: string,
  detail: { code?: string; retryAfter?: number } = {},
): HttpReply {
  const headers = {
    ...retryHeaders(status, detail.retryAfter),
    ...(status === 429 ? { "retry-after-ms": String((detail.retryAfter ?? 1) * 1000) } : {}),
  };
  if (status === 400) {
    return jsonReply(
      400,
      {
        error: {
          message: message || "Invalid request (mock).",
          type: "invalid_request_error",
          param: null,
          code: detail.code ?? null,
        },
      },
      headers,
    );
  }
  const defaults: Record<number, string> = {
    401: "Access denied due to invalid subscription key or wrong API endpoint (mock).",
    429: "Requests to the ChatCompletions_Create Operation have exceeded the mock rate limit. Please retry after 1 second.",
    500: "The server had an error while processing your request (mock).",
    503: "The service is temporarily unavailable (mock).",
  };
  return jsonReply(
    status,
    { error: { code: detail.code ?? String(status), message: message || defaults[status] || "Mock error." } },
    headers,
  );
}

export function createAzureProtocol(): Protocol {
  const models = { chat: "mock-gpt", embed: "mock-embed" };
  const flavour: OpenAiFlavour = {
    toolCallId: openAiToolCallId,
    usage: openAiUsage,
    extra: { system_fingerprint: "fp_mock0001" },
    choiceExtra: { content_filter_results: CONTENT_FILTER },
    fragmentToolArgs: true,
    reasoningContent: false,
  };
  const headers = (): Record<string, string> => ({
    "apim-request-id": randomId(32),
    "x-ms-region": "Mock Region",
  });
  return {
    provider: "azure",
    models,
    match(method: string, path: string): Operation | undefined {
      if (method === "GET" && path === "/openai/models") return { kind: "models" };
      const m = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/.exec(path);
      if (method !== "POST" || !m?.[1]) return undefined;
      const model = decodeURIComponent(m[1]);
      return m[2] === "embeddings"
        ? { kind: "embed", model, batch: false }
        : { kind: "chat", model, stream: false };
    },
    authenticate(h, query) {
      if (!query.get("api-version")) {
        return azureError(404, "Resource not found", { code: "404" });
      }
      if (headerValue(h, "api-key") || /^Bearer \S+/.test(headerValue(h, "authorization") ?? ""))
        return undefined;
      return azureError(
        401,
        "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.",
      );
    },
    error: azureError,
    unknownModel() {
      return azureError(
        404,
        "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.",
        { code: "DeploymentNotFound" },
      );
    },
    parseChat(body, op) {
      return parseOpenAiChat(body, op.model);
    },
    parseEmbed(body, op) {
      return parseOpenAiEmbed(body, op.model);
    },
    chat(intent, plan) {
      const body = openAiCompletion(
        `chatcmpl-${randomId(29)}`,
        Math.floor(Date.now() / 1000),
        intent,
        plan,
        flavour,
      );
      return jsonReply(200, { ...body, prompt_filter_results: PROMPT_FILTER }, headers());
    },
    chatStream(intent, plan) {
      const chunks = openAiChunks(
        `chatcmpl-${randomId(29)}`,
        Math.floor(Date.now() / 1000),
        intent,
        plan,
        flavour,
        {
          usageInLastChunk: false,
        },
      );
      const filterChunk = {
        choices: [],
        created: 0,
        id: "",
        model: "",
        object: "",
        prompt_filter_results: PROMPT_FILTER,
      };
      return {
        headers: { ...SSE_HEADERS, ...headers() },
        frames: [
          sseFrame(filterChunk),
          ...chunks.map((c) => sseFrame(c.chunk, { content: c.content })),
          sseDone(),
        ],
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
    listModels() {
      return jsonReply(200, {
        object: "list",
        data: [models.chat, models.embed].map((id) => ({
          id,
          object: "model",
          created_at: 1700000000,
          status: "succeeded",
          capabilities: { chat_completion: id === models.chat, embeddings: id === models.embed },
        })),
      });
    },
  };
}

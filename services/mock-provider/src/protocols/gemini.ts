// Google Gemini API (generativelanguage.googleapis.com/v1beta): models/{model}:generateContent,
// :streamGenerateContent (SSE with ?alt=sse, else a streamed JSON array), :embedContent,
// :batchEmbedContents; key in x-goog-api-key or ?key=; errors {error:{code,message,status}}.
import { headerValue, isRecord, jsonReply, randomId, retryHeaders } from "../http-reply.js";
import { SSE_HEADERS, sseFrame } from "../sse.js";
import type {
  ChatIntent,
  EmbedIntent,
  Frame,
  HttpReply,
  Operation,
  Protocol,
  ReplyPlan,
  ToolChoice,
  ToolSpec,
} from "../types.js";

const STATUS: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
  529: "UNAVAILABLE",
};

const DEFAULT_MESSAGES: Record<string, string> = {
  RESOURCE_EXHAUSTED: "Resource has been exhausted (e.g. check quota). (mock)",
  INTERNAL: "An internal error has occurred. (mock)",
  UNAVAILABLE: "The model is overloaded. Please try again later. (mock)",
  UNAUTHENTICATED: "Request had invalid authentication credentials. (mock)",
};

function geminiError(
  status: number,
  message: string,
  detail: { code?: string; retryAfter?: number } = {},
): HttpReply {
  const s = detail.code ?? STATUS[status] ?? "UNKNOWN";
  const error: Record<string, unknown> = {
    code: status,
    message: message || DEFAULT_MESSAGES[s] || "Mock error.",
    status: s,
  };
  if (status === 429) {
    error.details = [
      { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: `${detail.retryAfter ?? 1}s` },
    ];
  }
  return jsonReply(status, { error }, retryHeaders(status, detail.retryAfter));
}

function partsInfo(parts: unknown): {
  text: string;
  images: number;
  functionResponse: boolean;
  userText: string;
} {
  let text = "";
  let userText = "";
  let images = 0;
  let functionResponse = false;
  if (!Array.isArray(parts)) return { text, images, functionResponse, userText };
  for (const p of parts) {
    if (!isRecord(p)) continue;
    if (typeof p.text === "string") {
      text += (text ? "\n" : "") + p.text;
      userText += (userText ? "\n" : "") + p.text;
    }
    const data = (p.inlineData ?? p.fileData) as Record<string, unknown> | undefined;
    if (isRecord(data) && typeof data.mimeType === "string" && data.mimeType.startsWith("image/")) images++;
    if (isRecord(p.functionCall)) text += JSON.stringify(p.functionCall);
    if (isRecord(p.functionResponse)) {
      functionResponse = true;
      text += JSON.stringify(p.functionResponse);
    }
  }
  return { text, images, functionResponse, userText };
}

function toolChoiceOf(toolConfig: unknown): ToolChoice {
  const cfg =
    isRecord(toolConfig) && isRecord(toolConfig.functionCallingConfig)
      ? toolConfig.functionCallingConfig
      : {};
  if (cfg.mode === "NONE") return "none";
  if (cfg.mode === "ANY") {
    const allowed = cfg.allowedFunctionNames;
    if (Array.isArray(allowed) && allowed.length === 1 && typeof allowed[0] === "string")
      return { name: allowed[0] };
    return "required";
  }
  return "auto";
}

export function parseGeminiChat(body: unknown, model: string, stream: boolean): ChatIntent | string {
  if (!isRecord(body)) return "Invalid JSON payload received.";
  const contents = body.contents;
  if (!Array.isArray(contents) || contents.length === 0)
    return "* GenerateContentRequest.contents: contents is not specified";
  const system = isRecord(body.systemInstruction) ? partsInfo(body.systemInstruction.parts).text : "";
  let promptText = `${system}\n`;
  let lastUserText = "";
  let images = 0;
  let lastIsToolResult = false;
  for (const c of contents) {
    if (!isRecord(c)) return "* GenerateContentRequest.contents: invalid content";
    const info = partsInfo(c.parts);
    promptText += `${info.text}\n`;
    images += info.images;
    if (c.role !== "model" && info.userText) lastUserText = info.userText;
    lastIsToolResult = info.functionResponse;
  }
  const tools: ToolSpec[] = [];
  if (Array.isArray(body.tools)) {
    for (const t of body.tools) {
      if (!isRecord(t) || !Array.isArray(t.functionDeclarations)) continue;
      for (const f of t.functionDeclarations) {
        if (isRecord(f) && typeof f.name === "string")
          tools.push({ name: f.name, schema: f.parametersJsonSchema ?? f.parameters });
      }
    }
    promptText += JSON.stringify(body.tools);
  }
  const gen = isRecord(body.generationConfig) ? body.generationConfig : {};
  const json =
    gen.responseMimeType === "application/json"
      ? { schema: gen.responseJsonSchema ?? gen.responseSchema }
      : undefined;
  return {
    model,
    stream,
    lastUserText,
    promptText,
    messageCount: contents.length,
    images,
    tools,
    toolChoice: toolChoiceOf(body.toolConfig),
    lastIsToolResult,
    maxTokens: typeof gen.maxOutputTokens === "number" ? gen.maxOutputTokens : undefined,
    stop: Array.isArray(gen.stopSequences) ? gen.stopSequences.filter((s) => typeof s === "string") : [],
    json,
    includeUsage: false,
  };
}

function contentText(content: unknown): string {
  return isRecord(content) ? partsInfo(content.parts).text : "";
}

function usageMetadata(plan: ReplyPlan, final: boolean): Record<string, unknown> {
  const u = plan.usage;
  const candidates = final ? u.completionTokens - u.reasoningTokens : 0;
  const thoughts = final ? u.reasoningTokens : 0;
  return {
    promptTokenCount: u.promptTokens,
    ...(final ? { candidatesTokenCount: candidates } : {}),
    totalTokenCount: u.promptTokens + candidates + thoughts,
    ...(u.cachedTokens > 0 ? { cachedContentTokenCount: u.cachedTokens } : {}),
    promptTokensDetails: [{ modality: "TEXT", tokenCount: u.promptTokens }],
    ...(u.cachedTokens > 0 ? { cacheTokensDetails: [{ modality: "TEXT", tokenCount: u.cachedTokens }] } : {}),
    ...(thoughts > 0 ? { thoughtsTokenCount: thoughts } : {}),
  };
}

function finishReason(plan: ReplyPlan): string {
  return plan.finish === "length" ? "MAX_TOKENS" : "STOP";
}

function functionCallParts(plan: ReplyPlan): Record<string, unknown>[] {
  return plan.toolCalls.map((c) => ({
    functionCall: { name: c.name, args: JSON.parse(c.arguments) as unknown },
  }));
}

export function createGeminiProtocol(): Protocol {
  const models = { chat: "mock-gemini", embed: "mock-gemini-embed" };
  const body = (
    intent: ChatIntent,
    responseId: string,
    parts: Record<string, unknown>[],
    plan: ReplyPlan,
    final: boolean,
  ) => ({
    candidates: [
      {
        content: { parts, role: "model" },
        ...(final ? { finishReason: finishReason(plan) } : {}),
        index: 0,
      },
    ],
    usageMetadata: usageMetadata(plan, final),
    modelVersion: intent.model,
    responseId,
  });
  return {
    provider: "gemini",
    models,
    match(method: string, path: string, query: URLSearchParams): Operation | undefined {
      if (method === "GET" && path === "/v1beta/models") return { kind: "models" };
      const get = /^\/v1beta\/models\/([^/:]+)$/.exec(path);
      if (method === "GET" && get?.[1]) return { kind: "model", model: decodeURIComponent(get[1]) };
      const m =
        /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent|embedContent|batchEmbedContents)$/.exec(
          path,
        );
      if (method !== "POST" || !m?.[1]) return undefined;
      const model = decodeURIComponent(m[1]);
      switch (m[2]) {
        case "generateContent":
          return { kind: "chat", model, stream: false };
        case "streamGenerateContent":
          return { kind: "chat", model, stream: true, arrayStream: query.get("alt") !== "sse" };
        case "embedContent":
          return { kind: "embed", model, batch: false };
        default:
          return { kind: "embed", model, batch: true };
      }
    },
    authenticate(h, query) {
      if (headerValue(h, "x-goog-api-key") || query.get("key")) return undefined;
      return geminiError(
        403,
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
      );
    },
    error: geminiError,
    unknownModel(model) {
      return geminiError(
        404,
        `models/${model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`,
      );
    },
    parseChat(raw, op) {
      const intent = parseGeminiChat(raw, op.model, op.stream);
      if (typeof intent !== "string") intent.arrayStream = op.arrayStream === true;
      return intent;
    },
    parseEmbed(raw, op): EmbedIntent | string {
      if (!isRecord(raw)) return "Invalid JSON payload received.";
      if (op.batch) {
        if (!Array.isArray(raw.requests) || raw.requests.length === 0)
          return "* BatchEmbedContentsRequest.requests: requests is not specified";
        const first = raw.requests[0] as Record<string, unknown>;
        return {
          model: op.model,
          inputs: raw.requests.map((r) => contentText(isRecord(r) ? r.content : undefined)),
          dimensions: typeof first.outputDimensionality === "number" ? first.outputDimensionality : undefined,
          base64: false,
          batch: true,
        };
      }
      if (!isRecord(raw.content)) return "* EmbedContentRequest.content: content is not specified";
      return {
        model: op.model,
        inputs: [contentText(raw.content)],
        dimensions: typeof raw.outputDimensionality === "number" ? raw.outputDimensionality : undefined,
        base64: false,
        batch: false,
      };
    },
    chat(intent, plan) {
      const parts = plan.pieces.length > 0 ? [{ text: plan.pieces.join("") }] : [];
      return jsonReply(200, body(intent, randomId(22), [...parts, ...functionCallParts(plan)], plan, true));
    },
    chatStream(intent, plan) {
      // Gemini sends text in chunks and each function call whole; finishReason and full usage
      // ride on the last chunk.
      const id = randomId(22);
      const chunks: Record<string, unknown>[][] = plan.pieces.map((p) => [{ text: p }]);
      if (plan.toolCalls.length > 0) chunks.push(functionCallParts(plan));
      if (chunks.length === 0) chunks.push([{ text: "" }]);
      const objects = chunks.map((parts, i) => body(intent, id, parts, plan, i === chunks.length - 1));
      if (intent.arrayStream) {
        // Without alt=sse the response is one JSON array, written element by element.
        const frames: Frame[] = objects.map((o, i) => ({
          data: `${i === 0 ? "[" : ",\r\n"}${JSON.stringify(o)}`,
          content: true,
        }));
        frames.push({ data: "]", content: false });
        return { headers: { "content-type": "application/json; charset=UTF-8" }, frames };
      }
      return {
        headers: { ...SSE_HEADERS },
        frames: objects.map((o) => sseFrame(o, { content: true, eol: "\r\n" })),
      };
    },
    embed(intent, vectors) {
      return jsonReply(
        200,
        intent.batch
          ? { embeddings: vectors.map((values) => ({ values })) }
          : { embedding: { values: vectors[0] ?? [] } },
      );
    },
    listModels(op) {
      const info = (id: string): Record<string, unknown> => ({
        name: `models/${id}`,
        version: "001",
        displayName: `${id} (mock, not a real model)`,
        inputTokenLimit: 1048576,
        outputTokenLimit: 65536,
        supportedGenerationMethods:
          id === models.embed ? ["embedContent", "batchEmbedContents"] : ["generateContent", "countTokens"],
      });
      if (op.kind === "model") return jsonReply(200, info(op.model));
      return jsonReply(200, { models: [info(models.chat), info(models.embed)] });
    },
  };
}

// AWS Bedrock Runtime Converse API: POST /model/{modelId}/converse (JSON) and
// /model/{modelId}/converse-stream (application/vnd.amazon.eventstream), plus InvokeModel for a
// Titan-style embedding model and the control plane's ListFoundationModels. Every request must be
// SigV4-signed (checked by the server through `verify`). Errors carry `x-amzn-ErrorType` and
// a `{message}` body.
import { deterministicId } from "../content.js";
import { EVENT_STREAM_CONTENT_TYPE, eventFrame } from "../event-stream.js";
import { isRecord, jsonReply, retryHeaders } from "../http-reply.js";
import type { AwsCredentials, SigV4Request } from "../sigv4.js";
import { verifySigV4 } from "../sigv4.js";
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
  400: "ValidationException",
  401: "UnrecognizedClientException",
  403: "AccessDeniedException",
  404: "ResourceNotFoundException",
  408: "ModelTimeoutException",
  424: "ModelErrorException",
  429: "ThrottlingException",
  500: "InternalServerException",
  503: "ServiceUnavailableException",
  529: "ServiceUnavailableException",
};

const DEFAULT_MESSAGES: Record<string, string> = {
  ThrottlingException: "Too many requests, please wait before trying again. (mock)",
  ServiceUnavailableException: "Service unavailable. Try again later. (mock)",
  InternalServerException: "Internal server error (mock)",
};

export function bedrockError(
  status: number,
  message: string,
  detail: { code?: string; retryAfter?: number } = {},
): HttpReply {
  const type = detail.code ?? ERROR_TYPES[status] ?? "InternalServerException";
  const service =
    type.endsWith("SignatureException") ||
    type === "MissingAuthenticationTokenException" ||
    type === "UnrecognizedClientException"
      ? "com.amazon.coral.service"
      : "com.amazon.bedrock";
  return jsonReply(
    status,
    { message: message || DEFAULT_MESSAGES[type] || "Mock error." },
    {
      "x-amzn-errortype": `${type}:http://internal.amazon.com/coral/${service}/`,
      "x-amzn-requestid": crypto.randomUUID(),
      ...retryHeaders(status, detail.retryAfter),
    },
  );
}

function contentInfo(content: unknown): {
  text: string;
  userText: string;
  images: number;
  toolResult: boolean;
} {
  let text = "";
  let userText = "";
  let images = 0;
  let toolResult = false;
  if (!Array.isArray(content)) return { text, userText, images, toolResult };
  for (const b of content) {
    if (!isRecord(b)) continue;
    if (typeof b.text === "string") {
      text += (text ? "\n" : "") + b.text;
      userText += (userText ? "\n" : "") + b.text;
    }
    if (isRecord(b.image)) images++;
    if (isRecord(b.toolUse)) text += JSON.stringify(b.toolUse.input ?? {});
    if (isRecord(b.toolResult)) {
      toolResult = true;
      text += JSON.stringify(b.toolResult.content ?? []);
    }
  }
  return { text, userText, images, toolResult };
}

function toolChoiceOf(v: unknown): ToolChoice {
  if (!isRecord(v)) return "auto";
  if (isRecord(v.any)) return "required";
  if (isRecord(v.tool) && typeof v.tool.name === "string") return { name: v.tool.name };
  return "auto";
}

export function parseConverse(body: unknown, model: string, stream: boolean): ChatIntent | string {
  if (!isRecord(body)) return "Malformed input request, please reformat your input and try again.";
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0)
    return "The model returned the following errors: messages: field required";
  let promptText = Array.isArray(body.system)
    ? `${body.system.map((s) => (isRecord(s) && typeof s.text === "string" ? s.text : "")).join("\n")}\n`
    : "";
  let lastUserText = "";
  let images = 0;
  let lastIsToolResult = false;
  for (const m of messages) {
    if (!isRecord(m)) return "Malformed input request: messages must be objects";
    const info = contentInfo(m.content);
    promptText += `${info.text}\n`;
    images += info.images;
    if (m.role === "user" && info.userText) lastUserText = info.userText;
    lastIsToolResult = m.role === "user" && info.toolResult;
  }
  const tools: ToolSpec[] = [];
  const tc = isRecord(body.toolConfig) ? body.toolConfig : {};
  if (Array.isArray(tc.tools)) {
    for (const t of tc.tools) {
      if (isRecord(t) && isRecord(t.toolSpec) && typeof t.toolSpec.name === "string") {
        const schema = isRecord(t.toolSpec.inputSchema) ? t.toolSpec.inputSchema.json : undefined;
        tools.push({ name: t.toolSpec.name, schema });
      }
    }
    promptText += JSON.stringify(tc.tools);
  }
  const inf = isRecord(body.inferenceConfig) ? body.inferenceConfig : {};
  return {
    model,
    stream,
    lastUserText,
    promptText,
    messageCount: messages.length,
    images,
    tools,
    toolChoice: toolChoiceOf(tc.toolChoice),
    lastIsToolResult,
    maxTokens: typeof inf.maxTokens === "number" ? inf.maxTokens : undefined,
    stop: Array.isArray(inf.stopSequences) ? inf.stopSequences.filter((s) => typeof s === "string") : [],
    json: undefined,
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

function usage(plan: ReplyPlan): Record<string, number> {
  const u = plan.usage;
  const input = u.promptTokens - u.cachedTokens;
  return {
    inputTokens: input,
    outputTokens: u.completionTokens,
    totalTokens: input + u.completionTokens + u.cachedTokens,
    ...(u.cachedTokens > 0 ? { cacheReadInputTokens: u.cachedTokens, cacheWriteInputTokens: 0 } : {}),
  };
}

const toolUseId = (seed: number): string => `tooluse_${deterministicId(seed, 22)}`;
const signature = (seed: number): string => Buffer.from(`mock-signature-${seed}`).toString("base64");

/** Bedrock pads event payloads with a `p` field of varying length. */
function pad(n: number): string {
  return "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".slice(0, 1 + (n % 40));
}

export interface BedrockOptions {
  region: string;
  credentials: AwsCredentials;
}

export function createBedrockProtocol(
  opts: BedrockOptions,
): Protocol & { verify(req: SigV4Request): Promise<HttpReply | undefined> } {
  const models = { chat: "mock-bedrock", embed: "mock-bedrock-embed" };
  const started = new WeakMap<ChatIntent, number>();
  const latency = (intent: ChatIntent): number => Date.now() - (started.get(intent) ?? Date.now());
  return {
    provider: "bedrock",
    models,
    async verify(req) {
      const failure = await verifySigV4(req, opts.credentials, { region: opts.region, service: "bedrock" });
      return failure ? bedrockError(403, failure.message, { code: failure.type }) : undefined;
    },
    match(method: string, path: string): Operation | undefined {
      if (method === "GET" && path === "/foundation-models") return { kind: "models" };
      const m = /^\/model\/([^/]+)\/(converse|converse-stream|invoke)$/.exec(path);
      if (method !== "POST" || !m?.[1]) return undefined;
      const model = decodeURIComponent(m[1]);
      if (m[2] === "invoke") return { kind: "embed", model, batch: false };
      return { kind: "chat", model, stream: m[2] === "converse-stream" };
    },
    authenticate() {
      return undefined; // SigV4 is checked in `verify`, which needs the raw body.
    },
    error: bedrockError,
    unknownModel() {
      return bedrockError(404, "The provided model identifier is invalid. (mock)", {
        code: "ResourceNotFoundException",
      });
    },
    parseChat(body, op) {
      const intent = parseConverse(body, op.model, op.stream);
      if (typeof intent !== "string") started.set(intent, Date.now());
      return intent;
    },
    parseEmbed(body, op) {
      if (!isRecord(body) || typeof body.inputText !== "string")
        return "Malformed input request: #: required key [inputText] not found";
      return {
        model: op.model,
        inputs: [body.inputText],
        dimensions: typeof body.dimensions === "number" ? body.dimensions : undefined,
        base64: false,
        batch: false,
      };
    },
    chat(intent, plan) {
      const content: Record<string, unknown>[] = [];
      if (plan.reasoningPieces.length > 0) {
        content.push({
          reasoningContent: {
            reasoningText: { text: plan.reasoningPieces.join(""), signature: signature(plan.seed) },
          },
        });
      }
      if (plan.pieces.length > 0) content.push({ text: plan.pieces.join("") });
      for (const c of plan.toolCalls) {
        content.push({
          toolUse: { toolUseId: toolUseId(c.seed), name: c.name, input: JSON.parse(c.arguments) as unknown },
        });
      }
      return jsonReply(
        200,
        {
          output: { message: { role: "assistant", content } },
          stopReason: stopReason(plan.finish),
          usage: usage(plan),
          metrics: { latencyMs: latency(intent) },
        },
        { "x-amzn-requestid": crypto.randomUUID() },
      );
    },
    chatStream(intent, plan) {
      const frames: Frame[] = [];
      let n = 0;
      const ev = (type: string, payload: Record<string, unknown>, content = false): void => {
        frames.push(eventFrame(type, { ...payload, p: pad(n++) }, content));
      };
      ev("messageStart", { role: "assistant" });
      let index = 0;
      if (plan.reasoningPieces.length > 0) {
        for (const p of plan.reasoningPieces) {
          ev(
            "contentBlockDelta",
            { contentBlockIndex: index, delta: { reasoningContent: { text: p } } },
            true,
          );
        }
        ev("contentBlockDelta", {
          contentBlockIndex: index,
          delta: { reasoningContent: { signature: signature(plan.seed) } },
        });
        ev("contentBlockStop", { contentBlockIndex: index++ });
      }
      if (plan.pieces.length > 0) {
        for (const p of plan.pieces)
          ev("contentBlockDelta", { contentBlockIndex: index, delta: { text: p } }, true);
        ev("contentBlockStop", { contentBlockIndex: index++ });
      }
      for (const c of plan.toolCalls) {
        ev("contentBlockStart", {
          contentBlockIndex: index,
          start: { toolUse: { toolUseId: toolUseId(c.seed), name: c.name } },
        });
        for (const f of c.fragments)
          ev("contentBlockDelta", { contentBlockIndex: index, delta: { toolUse: { input: f } } }, true);
        ev("contentBlockStop", { contentBlockIndex: index++ });
      }
      ev("messageStop", { stopReason: stopReason(plan.finish) });
      // The metadata event is built last, but its latency is measured when the plan is written.
      frames.push(
        eventFrame("metadata", { usage: usage(plan), metrics: { latencyMs: latency(intent) }, p: pad(n++) }),
      );
      return {
        headers: { "content-type": EVENT_STREAM_CONTENT_TYPE, "x-amzn-requestid": crypto.randomUUID() },
        frames,
      };
    },
    embed(intent, vectors, promptTokens) {
      return jsonReply(
        200,
        { embedding: vectors[0] ?? [], inputTextTokenCount: promptTokens },
        {
          "x-amzn-requestid": crypto.randomUUID(),
          "x-amzn-bedrock-input-token-count": String(promptTokens),
        },
      );
    },
    listModels() {
      const summary = (id: string, embed: boolean): Record<string, unknown> => ({
        modelArn: `arn:aws:bedrock:${opts.region}::foundation-model/${id}`,
        modelId: id,
        modelName: `${id} (mock, not a real model)`,
        providerName: "Mock",
        inputModalities: ["TEXT"],
        outputModalities: [embed ? "EMBEDDING" : "TEXT"],
        responseStreamingSupported: !embed,
        customizationsSupported: [],
        inferenceTypesSupported: ["ON_DEMAND"],
        modelLifecycle: { status: "ACTIVE" },
      });
      return jsonReply(200, { modelSummaries: [summary(models.chat, false), summary(models.embed, true)] });
    },
  };
}

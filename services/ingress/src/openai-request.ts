// The OpenAI request bodies accepted at the HTTP door, validated with zod (errors name the
// field, e.g. `messages[1].content[0].image_url.url`) and turned into the canonical protobuf
// request. Unknown top-level fields are ignored as OpenAI's newer SDKs may send them.
import { create } from "@bufbuild/protobuf";
import {
  ChatRequestSchema,
  ContentPartSchema,
  EmbedRequestSchema,
  MessageSchema,
  ToolCallSchema,
  type ChatRequest,
  type ContentPart,
  type EmbedRequest,
} from "@switchyard/proto";
import { z } from "zod";
import { functionTool, jsonText, textPart as canonicalText } from "./canonical-parts.js";
import { EFFORTS, MAX_DIMENSIONS } from "./canonical-request.js";
import { tokensToText } from "./token-input.js";
import { invalidBody } from "./zod-issues.js";

const textPart = z.object({ type: z.literal("text"), text: z.string() });
const imagePart = z.object({
  type: z.literal("image_url"),
  image_url: z.object({ url: z.string().min(1), detail: z.enum(["auto", "low", "high"]).optional() }),
});
const audioPart = z.object({
  type: z.literal("input_audio"),
  input_audio: z.object({ data: z.string(), format: z.string() }),
});
const filePart = z.object({
  type: z.literal("file"),
  file: z.object({
    file_id: z.string().optional(),
    filename: z.string().optional(),
    file_data: z.string().optional(),
  }),
});
const contentPart = z.discriminatedUnion("type", [textPart, imagePart, audioPart, filePart]);
const refusalPart = z.object({ type: z.literal("refusal"), refusal: z.string() });

const toolCall = z.object({
  id: z.string(),
  type: z.literal("function").default("function"),
  function: z.object({ name: z.string().min(1), arguments: z.string() }),
});

const message = z.discriminatedUnion("role", [
  z.object({
    role: z.enum(["system", "developer"]),
    content: z.union([z.string(), z.array(textPart)]),
    name: z.string().optional(),
  }),
  z.object({
    role: z.literal("user"),
    content: z.union([z.string(), z.array(contentPart)]),
    name: z.string().optional(),
  }),
  z.object({
    role: z.literal("assistant"),
    content: z.union([z.string(), z.array(z.union([textPart, refusalPart]))]).nullish(),
    name: z.string().optional(),
    tool_calls: z.array(toolCall).optional(),
    refusal: z.string().nullish(),
  }),
  z.object({
    role: z.literal("tool"),
    content: z.union([z.string(), z.array(textPart)]),
    tool_call_id: z.string().min(1),
  }),
]);

const chatBody = z.object({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  tools: z
    .array(
      z.object({
        type: z.literal("function"),
        function: z.object({
          name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 letters, digits, _ or -"),
          description: z.string().optional(),
          parameters: z.record(z.string(), z.unknown()).optional(),
          strict: z.boolean().nullish(),
        }),
      }),
    )
    .optional(),
  tool_choice: z
    .union([
      z.enum(["auto", "none", "required"]),
      z.object({ type: z.literal("function"), function: z.object({ name: z.string().min(1) }) }),
    ])
    .optional(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: z
    .discriminatedUnion("type", [
      z.object({ type: z.literal("text") }),
      z.object({ type: z.literal("json_object") }),
      z.object({
        type: z.literal("json_schema"),
        json_schema: z.object({
          name: z.string().min(1),
          schema: z.record(z.string(), z.unknown()).optional(),
          strict: z.boolean().nullish(),
          description: z.string().optional(),
        }),
      }),
    ])
    .optional(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  n: z.number().int().min(1).max(1, "only n=1 is supported").nullish(),
  seed: z.number().int().nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  user: z.string().optional(),
  metadata: z.record(z.string(), z.string()).nullish(),
  reasoning_effort: z.enum(EFFORTS).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
});

/** The most token ids of one embedding input (OpenAI's limit for its embedding models). */
const MAX_TOKEN_INPUT = 8192;

/** The input as texts: strings as they are, token ids decoded (token-input.ts). */
function embedInputText(input: string | string[] | number[] | number[][]): string[] {
  if (typeof input === "string") return [input];
  if (input.every((v) => typeof v === "string")) return input;
  if (input.every((v) => typeof v === "number")) return tokensToText([input], () => "input");
  return tokensToText(input, (i) => `input[${i}]`);
}

const embedBody = z.object({
  model: z.string().min(1),
  input: z.union([
    z.string(),
    z.array(z.string()).min(1).max(2048),
    // Token ids: one input, or a list of them.
    z.array(z.number().int().nonnegative()).min(1).max(MAX_TOKEN_INPUT),
    z.array(z.array(z.number().int().nonnegative()).min(1).max(MAX_TOKEN_INPUT)).min(1).max(2048),
  ]),
  dimensions: z.number().int().positive().max(MAX_DIMENSIONS).optional(),
  encoding_format: z.enum(["float", "base64"]).optional(),
  user: z.string().optional(),
});

function parts(content: z.infer<typeof message>["content"]): { parts: ContentPart[]; isText: boolean } {
  if (content === null || content === undefined) return { parts: [], isText: false };
  if (typeof content === "string") return { parts: [canonicalText(content)], isText: true };
  return {
    isText: false,
    parts: content.flatMap((p): ContentPart[] => {
      switch (p.type) {
        case "text":
          return [canonicalText(p.text)];
        case "refusal":
          return [];
        case "image_url":
          return [
            create(ContentPartSchema, {
              part: { case: "imageUrl", value: { url: p.image_url.url, detail: p.image_url.detail ?? "" } },
            }),
          ];
        case "input_audio":
          return [create(ContentPartSchema, { part: { case: "inputAudio", value: p.input_audio } })];
        case "file":
          return [
            create(ContentPartSchema, {
              part: {
                case: "file",
                value: {
                  fileId: p.file.file_id ?? "",
                  filename: p.file.filename ?? "",
                  fileData: p.file.file_data ?? "",
                },
              },
            }),
          ];
      }
    }),
  };
}

export function parseChatBody(body: unknown): { request: ChatRequest; stream: boolean } {
  const parsed = chatBody.safeParse(body);
  if (!parsed.success) throw invalidBody(parsed.error);
  const b = parsed.data;
  const maxTokens = b.max_completion_tokens ?? b.max_tokens ?? undefined;
  const request = create(ChatRequestSchema, {
    model: b.model,
    messages: b.messages.map((m) => {
      const { parts: content, isText } = parts(m.content);
      return create(MessageSchema, {
        role: m.role,
        content,
        contentIsText: isText,
        name: "name" in m ? (m.name ?? "") : "",
        toolCallId: m.role === "tool" ? m.tool_call_id : "",
        refusal: m.role === "assistant" ? (m.refusal ?? "") : "",
        toolCalls:
          m.role === "assistant"
            ? (m.tool_calls ?? []).map((c) =>
                create(ToolCallSchema, {
                  id: c.id,
                  type: c.type,
                  functionName: c.function.name,
                  argumentsJson: c.function.arguments,
                }),
              )
            : [],
      });
    }),
    tools: (b.tools ?? []).map((t) => functionTool(t.function)),
    toolChoice:
      b.tool_choice === undefined
        ? undefined
        : typeof b.tool_choice === "string"
          ? { mode: b.tool_choice }
          : { mode: "function", functionName: b.tool_choice.function.name },
    parallelToolCalls: b.parallel_tool_calls,
    responseFormat:
      b.response_format === undefined
        ? undefined
        : b.response_format.type === "json_schema"
          ? {
              type: "json_schema",
              jsonSchemaName: b.response_format.json_schema.name,
              jsonSchema: jsonText(b.response_format.json_schema.schema),
              strict: b.response_format.json_schema.strict ?? undefined,
            }
          : { type: b.response_format.type },
    temperature: b.temperature ?? undefined,
    topP: b.top_p ?? undefined,
    maxTokens,
    stop: b.stop === null || b.stop === undefined ? [] : typeof b.stop === "string" ? [b.stop] : b.stop,
    n: b.n ?? undefined,
    seed: b.seed === null || b.seed === undefined ? undefined : BigInt(b.seed),
    presencePenalty: b.presence_penalty ?? undefined,
    frequencyPenalty: b.frequency_penalty ?? undefined,
    user: b.user ?? "",
    metadata: b.metadata ?? {},
    includeUsage: b.stream_options?.include_usage ?? false,
    reasoningEffort: b.reasoning_effort ?? "",
    logprobs: b.logprobs ?? undefined,
    topLogprobs: b.top_logprobs ?? undefined,
  });
  return { request, stream: b.stream ?? false };
}

export function parseEmbedBody(body: unknown): EmbedRequest {
  const parsed = embedBody.safeParse(body);
  if (!parsed.success) throw invalidBody(parsed.error);
  const b = parsed.data;
  return create(EmbedRequestSchema, {
    model: b.model,
    input: embedInputText(b.input),
    dimensions: b.dimensions,
    encodingFormat: b.encoding_format ?? "float",
    user: b.user ?? "",
  });
}

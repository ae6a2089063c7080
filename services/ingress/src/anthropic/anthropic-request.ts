// Anthropic Messages request bodies (`POST /v1/messages`, `/v1/messages/count_tokens`), validated
// with zod (errors name the field as Anthropic does: `messages[2].content[0].source.data`) and
// turned into the canonical OpenAI-shaped request, so any upstream can answer them. Unknown
// top-level fields are ignored as the SDKs and Claude Code add new ones.
import { create } from "@bufbuild/protobuf";
import { GatewayError } from "@switchyard/common";
import {
  CacheControlSchema,
  ChatRequestSchema,
  ContentPartSchema,
  MessageSchema,
  ToolCallSchema,
  type CacheControl,
  type ChatRequest,
  type ContentPart,
  type Message,
} from "@switchyard/proto";
import { z } from "zod";
import { functionTool, textMessage, textPart } from "../canonical-parts.js";
import { MAX_STOP_SEQUENCES } from "../canonical-request.js";
import { invalidBody } from "../zod-issues.js";

/** A field refused when present and not null: dropping it would change the answer. */
const unsupported = z
  .unknown()
  .refine((v) => v === null, "not supported by this gateway")
  .optional();

/** An unknown block `type` is named in the error rather than "invalid input". */
const blockError = (role: string) => (iss: { code: string; input?: unknown }) => {
  if (iss.code !== "invalid_union") return undefined;
  const type = (iss.input as { type?: unknown } | undefined)?.type;
  return type === undefined
    ? `a ${role} block needs a type`
    : `unsupported ${role} block type ${JSON.stringify(type)}`;
};

const cacheControl = z
  .object({ type: z.literal("ephemeral"), ttl: z.enum(["5m", "1h"]).nullish() })
  .nullish();

// `citations` on a text block are the passages a previous answer cited: context only, ignored.
const textBlock = z.object({ type: z.literal("text"), text: z.string(), cache_control: cacheControl });

const imageBlock = z.object({
  type: z.literal("image"),
  source: z.discriminatedUnion("type", [
    z.object({
      type: z.literal("base64"),
      media_type: z.enum(["image/jpeg", "image/png", "image/gif", "image/webp"]),
      data: z.string().min(1),
    }),
    z.object({ type: z.literal("url"), url: z.string().min(1) }),
  ]),
  cache_control: cacheControl,
});

const documentBlock = z.object({
  type: z.literal("document"),
  source: z.discriminatedUnion("type", [
    z.object({
      type: z.literal("base64"),
      media_type: z.literal("application/pdf"),
      data: z.string().min(1),
    }),
    z.object({ type: z.literal("text"), media_type: z.literal("text/plain"), data: z.string() }),
    // Fetching documents for the model is Anthropic's server-side job; no other upstream does it.
    z.object({ type: z.literal("url") }).refine(() => false, { message: "URL documents are not supported" }),
  ]),
  title: z.string().nullish(),
  // Citations answer with cited passages and context adds to the prompt: neither can be carried.
  context: unsupported,
  citations: z
    .object({ enabled: z.boolean().nullish() })
    .nullish()
    .refine((c) => c?.enabled !== true, "citations are not supported"),
  cache_control: cacheControl,
});

const toolResultBlock = z.object({
  type: z.literal("tool_result"),
  tool_use_id: z.string().min(1),
  content: z
    .union([
      z.string(),
      z.array(
        z.discriminatedUnion("type", [textBlock, imageBlock, documentBlock], {
          error: blockError("tool_result"),
        }),
      ),
    ])
    .nullish(),
  is_error: z.boolean().nullish(),
  cache_control: cacheControl,
});

const userBlock = z.discriminatedUnion("type", [textBlock, imageBlock, documentBlock, toolResultBlock], {
  error: blockError("user"),
});

const assistantBlock = z.discriminatedUnion(
  "type",
  [
    textBlock,
    z.object({ type: z.literal("thinking"), thinking: z.string(), signature: z.string().nullish() }),
    z.object({ type: z.literal("redacted_thinking"), data: z.string() }),
    z.object({
      type: z.literal("tool_use"),
      id: z.string().min(1),
      name: z.string().min(1),
      input: z.record(z.string(), z.unknown()),
      cache_control: cacheControl,
    }),
  ],
  { error: blockError("assistant") },
);

const message = z.discriminatedUnion("role", [
  z.object({
    role: z.literal("user"),
    content: z.union([z.string(), z.array(userBlock).min(1, "must not be empty")]),
  }),
  z.object({ role: z.literal("assistant"), content: z.union([z.string(), z.array(assistantBlock)]) }),
]);

const tool = z.object({
  // Listed first so a server tool (web_search_20250305, bash_20250124, ...) is refused by its type
  // before its missing input_schema is reported.
  type: z.literal("custom", { error: "server tools are not supported" }).nullish(),
  // The gateway's rule at every door (canonical-request.ts), since any upstream may answer.
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "must be 1-64 letters, digits, _ or -"),
  description: z.string().nullish(),
  input_schema: z.record(z.string(), z.unknown()),
  strict: z.boolean().nullish(),
  cache_control: cacheControl,
});

const noParallel = { disable_parallel_tool_use: z.boolean().nullish() };

const jsonSchemaFormat = z.object({
  type: z.literal("json_schema"),
  schema: z.record(z.string(), z.unknown()),
});

const messagesBody = z.object({
  model: z.string().min(1),
  max_tokens: z.number().int().min(1),
  messages: z.array(message).min(1, "must not be empty"),
  system: z.union([z.string(), z.array(textBlock)]).nullish(),
  stop_sequences: z.array(z.string()).max(MAX_STOP_SEQUENCES).nullish(),
  temperature: z.number().min(0).max(1).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.number().int().min(0).nullish(),
  stream: z.boolean().nullish(),
  metadata: z.object({ user_id: z.string().nullish() }).nullish(),
  tools: z.array(tool).nullish(),
  tool_choice: z
    .discriminatedUnion("type", [
      z.object({ type: z.literal("auto"), ...noParallel }),
      z.object({ type: z.literal("any"), ...noParallel }),
      z.object({ type: z.literal("tool"), name: z.string().min(1), ...noParallel }),
      z.object({ type: z.literal("none") }),
    ])
    .nullish(),
  thinking: z
    .discriminatedUnion("type", [
      z.object({ type: z.literal("enabled"), budget_tokens: z.number().int().min(1024) }),
      z.object({ type: z.literal("disabled") }),
      z.object({ type: z.literal("adaptive") }),
    ])
    .nullish(),
  // Claude Code sets the effort with adaptive thinking; format is structured output.
  output_config: z
    .object({
      effort: z.enum(["low", "medium", "high", "xhigh", "max"]).nullish(),
      format: jsonSchemaFormat.nullish(),
    })
    .nullish(),
  // The structured-outputs beta's name for output_config.format.
  output_format: jsonSchemaFormat.nullish(),
  // Anthropic-hosted features no other upstream has (code-execution containers, remote MCP
  // servers): dropping them would change the answer, so they are refused.
  container: unsupported,
  mcp_servers: unsupported,
  // Accepted and ignored, deliberately:
  // - service_tier: "auto" and "standard_only" both allow the standard tier, which is what any
  //   upstream serves.
  // - context_management: Claude Code sends it with every request (refusing it breaks Claude Code,
  //   see anthropics/claude-code#21612); its edits only let Anthropic prune old thinking and tool
  //   results server-side, so without it the model sees the whole conversation.
  service_tier: z.enum(["auto", "standard_only"]).nullish(),
});

// count_tokens takes the same body without max_tokens and stream (ignored if sent).
const countTokensBody = messagesBody
  .omit({ stream: true })
  .extend({ max_tokens: z.number().int().min(1).nullish() });

type Body = z.infer<typeof countTokensBody>;
type UserBlock = z.infer<typeof userBlock>;
type Media = z.infer<typeof textBlock> | z.infer<typeof imageBlock> | z.infer<typeof documentBlock>;

const cache = (c: z.infer<typeof cacheControl>): CacheControl | undefined =>
  c === null || c === undefined ? undefined : create(CacheControlSchema, { type: c.type, ttl: c.ttl ?? "" });

const text = (value: string, c?: z.infer<typeof cacheControl>): ContentPart => textPart(value, cache(c));

function part(b: Media): ContentPart {
  switch (b.type) {
    case "text":
      return text(b.text, b.cache_control);
    case "image": {
      const url =
        b.source.type === "base64" ? `data:${b.source.media_type};base64,${b.source.data}` : b.source.url;
      return create(ContentPartSchema, {
        part: { case: "imageUrl", value: { url, detail: "" } },
        cacheControl: cache(b.cache_control),
      });
    }
    case "document": {
      const s = b.source;
      // The canonical file part carries data URLs; a text document becomes a text/plain one.
      const fileData =
        s.type === "base64"
          ? `data:application/pdf;base64,${s.data}`
          : s.type === "text"
            ? `data:text/plain;base64,${Buffer.from(s.data, "utf8").toString("base64")}`
            : "";
      return create(ContentPartSchema, {
        part: { case: "file", value: { fileId: "", filename: b.title ?? "", fileData } },
        cacheControl: cache(b.cache_control),
      });
    }
  }
}

function toolMessage(b: z.infer<typeof toolResultBlock>): Message {
  const isText = typeof b.content === "string" || b.content === null || b.content === undefined;
  return create(MessageSchema, {
    role: "tool",
    toolCallId: b.tool_use_id,
    content: typeof b.content === "string" ? [text(b.content)] : (b.content ?? []).map(part),
    contentIsText: isText,
    toolError: b.is_error ?? false,
    cacheControl: cache(b.cache_control),
  });
}

/** A user turn in block order: each run of other blocks is one user message, each tool_result a tool message. */
function userMessages(content: string | UserBlock[]): Message[] {
  if (typeof content === "string") return [textMessage("user", content)];
  const out: Message[] = [];
  let run: ContentPart[] = [];
  const flush = (): void => {
    if (run.length > 0) out.push(create(MessageSchema, { role: "user", content: run }));
    run = [];
  };
  for (const b of content) {
    if (b.type === "tool_result") {
      flush();
      out.push(toolMessage(b));
    } else run.push(part(b));
  }
  flush();
  return out;
}

function assistantMessage(content: string | z.infer<typeof assistantBlock>[]): Message {
  if (typeof content === "string") return textMessage("assistant", content);
  const m = create(MessageSchema, { role: "assistant" });
  for (const b of content) {
    switch (b.type) {
      case "text":
        m.content.push(text(b.text, b.cache_control));
        break;
      case "thinking":
        // The canonical message holds one reasoning text; the last signature is the one that counts.
        m.reasoningContent += b.thinking;
        if (b.signature) m.reasoningSignature = b.signature;
        break;
      case "redacted_thinking":
        m.redactedReasoning.push(b.data);
        break;
      case "tool_use":
        m.toolCalls.push(
          create(ToolCallSchema, {
            id: b.id,
            type: "function",
            functionName: b.name,
            argumentsJson: JSON.stringify(b.input),
          }),
        );
        if (b.cache_control) m.cacheControl = cache(b.cache_control);
        break;
    }
  }
  return m;
}

function systemMessage(system: Body["system"]): Message[] {
  if (system === null || system === undefined || system.length === 0) return [];
  if (typeof system === "string") return [textMessage("system", system)];
  return [
    create(MessageSchema, { role: "system", content: system.map((b) => text(b.text, b.cache_control)) }),
  ];
}

function toChatRequest(b: Body, headers: { version?: string; beta?: string } = {}): ChatRequest {
  b.messages.forEach((m, i) => {
    // Anthropic's rule: only the last turn (an assistant prefill) may be empty.
    if (m.role === "assistant" && m.content.length === 0 && i < b.messages.length - 1)
      throw new GatewayError("invalid_argument", `messages[${i}].content: must not be empty`, {
        field: `messages[${i}].content`,
      });
  });
  const tc = b.tool_choice ?? undefined;
  const format = b.output_config?.format ?? b.output_format ?? undefined;
  // Anthropic's effort names are OpenAI's (the canonical scale) from low to max.
  const effort = b.output_config?.effort ?? "";
  return create(ChatRequestSchema, {
    model: b.model,
    messages: [
      ...systemMessage(b.system),
      ...b.messages.flatMap((m) =>
        m.role === "user" ? userMessages(m.content) : [assistantMessage(m.content)],
      ),
    ],
    tools: (b.tools ?? []).map((t) =>
      functionTool({ ...t, parameters: t.input_schema, cacheControl: cache(t.cache_control) }),
    ),
    toolChoice:
      tc === undefined
        ? undefined
        : tc.type === "tool"
          ? { mode: "function", functionName: tc.name }
          : { mode: tc.type === "any" ? "required" : tc.type },
    parallelToolCalls:
      tc !== undefined && "disable_parallel_tool_use" in tc && tc.disable_parallel_tool_use
        ? false
        : undefined,
    // Anthropic's structured outputs are always strict.
    responseFormat:
      format === undefined
        ? undefined
        : {
            type: "json_schema",
            jsonSchemaName: "output",
            jsonSchema: JSON.stringify(format.schema),
            strict: true,
          },
    temperature: b.temperature ?? undefined,
    topP: b.top_p ?? undefined,
    topK: b.top_k ?? undefined,
    maxTokens: b.max_tokens ?? undefined,
    stop: b.stop_sequences ?? [],
    user: b.metadata?.user_id ?? "",
    // A budget of 0 turns thinking off; adaptive thinking leaves the depth to the model, which
    // for an effort-only upstream is its default, "medium", unless the client set an effort.
    thinkingBudgetTokens:
      b.thinking?.type === "enabled"
        ? b.thinking.budget_tokens
        : b.thinking?.type === "disabled"
          ? 0
          : undefined,
    reasoningEffort: effort !== "" ? effort : b.thinking?.type === "adaptive" ? "medium" : "",
    anthropicVersion: headers.version ?? "",
    anthropicBeta: (headers.beta ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== ""),
  });
}

export function parseMessagesBody(
  body: unknown,
  headers: { version?: string; beta?: string },
): { request: ChatRequest; stream: boolean } {
  const parsed = messagesBody.safeParse(body);
  if (!parsed.success) throw invalidBody(parsed.error);
  return { request: toChatRequest(parsed.data, headers), stream: parsed.data.stream ?? false };
}

export function parseCountTokensBody(body: unknown): ChatRequest {
  const parsed = countTokensBody.safeParse(body);
  if (!parsed.success) throw invalidBody(parsed.error);
  return toChatRequest(parsed.data);
}

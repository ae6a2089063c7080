// OpenAI Responses API request bodies (POST /v1/responses), validated with zod (errors name the
// field, e.g. `input[2].content[0].image_url`) and turned into the canonical chat request. The door
// keeps no state: the whole conversation travels in `input`, so whatever points at stored state
// (previous_response_id, conversation, item_reference, prompt templates, background runs) is
// refused by name. Unknown top-level fields are ignored as the SDKs add new ones.
import { create } from "@bufbuild/protobuf";
import { GatewayError } from "@switchyard/common";
import {
  ChatRequestSchema,
  ContentPartSchema,
  MessageSchema,
  ToolCallSchema,
  type ChatRequest,
  type ContentPart,
  type Message,
} from "@switchyard/proto";
import { z } from "zod";
import { functionTool as canonicalTool, jsonText, textMessage, textPart } from "../canonical-parts.js";
import { EFFORTS } from "../canonical-request.js";
import { invalidBody } from "../zod-issues.js";

/** What the Response object repeats back of the request. */
export interface ResponseEcho {
  instructions: string | null;
  tools: Record<string, unknown>[];
  tool_choice: string | Record<string, unknown>;
  text: { format: Record<string, unknown>; verbosity?: string };
  temperature: number | null;
  top_p: number | null;
  max_output_tokens: number | null;
  metadata: Record<string, string>;
  parallel_tool_calls: boolean;
  reasoning: { effort: string | null; summary: string | null } | null;
  user: string | null;
  truncation: "auto" | "disabled";
  /** Whether the response is kept (OpenAI's default); the door turns it off when it has no store. */
  store: boolean;
}

const bad = (field: string, message: string): GatewayError =>
  new GatewayError("invalid_argument", `${field}: ${message}`, { field });

/** A discriminated union's message for a `type` it does not know: `"web_search" tools are not supported`. */
const unsupported =
  (what: string) =>
  (iss: { code: string; input?: unknown }): string | undefined => {
    const type =
      typeof iss.input === "object" && iss.input !== null ? (iss.input as { type?: unknown }).type : 0;
    return iss.code === "invalid_union" && typeof type === "string"
      ? `"${type}" ${what} are not supported`
      : undefined;
  };

/** A field that needs stored state or a feature the door lacks: any value but null is a 400. */
const refused = (why: string) => z.never({ error: why }).nullish();
const STATELESS =
  "this gateway does not store responses; send the conversation in `input` (store: false semantics)";

// OpenAI's explicit prompt-cache breakpoint marks the end of a cacheable prefix, which is what a
// canonical cache_control does (Anthropic honours it, other upstreams drop it).
const breakpoint = z.object({ mode: z.literal("explicit") }).nullish();

const inputText = z.object({
  type: z.literal("input_text"),
  text: z.string(),
  prompt_cache_breakpoint: breakpoint,
});
const inputImage = z
  .object({
    type: z.literal("input_image"),
    image_url: z.string().min(1).nullish(),
    file_id: z.string().min(1).nullish(),
    detail: z.enum(["auto", "low", "high", "original"]).nullish(),
    prompt_cache_breakpoint: breakpoint,
  })
  .refine((p) => p.image_url != null || p.file_id != null, "needs image_url or file_id");
const inputFile = z
  .object({
    type: z.literal("input_file"),
    file_id: z.string().min(1).nullish(),
    file_data: z.string().min(1).nullish(),
    filename: z.string().nullish(),
    file_url: refused("file URLs are not supported; send the file as file_data (a data: URL) or file_id"),
    prompt_cache_breakpoint: breakpoint,
  })
  .refine((p) => p.file_id != null || p.file_data != null, "needs file_data or file_id");
const inputAudio = z.object({
  type: z.literal("input_audio"),
  input_audio: z.object({ data: z.string(), format: z.string() }),
});
const outputText = z.object({ type: z.literal("output_text"), text: z.string() });
const refusal = z.object({ type: z.literal("refusal"), refusal: z.string() });

const userPart = z.discriminatedUnion("type", [inputText, inputImage, inputFile, inputAudio]);
const toolOutputPart = z.discriminatedUnion("type", [inputText, inputImage, inputFile]);
const assistantPart = z.discriminatedUnion("type", [outputText, inputText, refusal]);
type InputPart = z.infer<typeof userPart> | z.infer<typeof assistantPart>;
type ContentInput = Exclude<InputPart, { type: "refusal" }>;

// Message items may leave out `type`; the role then tells them apart.
const messageType = z.literal("message").optional();
const messageItem = z.discriminatedUnion("role", [
  z.object({ type: messageType, role: z.literal("user"), content: z.union([z.string(), z.array(userPart)]) }),
  z.object({
    type: messageType,
    role: z.enum(["system", "developer"]),
    content: z.union([z.string(), z.array(inputText)]),
  }),
  z.object({
    type: messageType,
    role: z.literal("assistant"),
    content: z.union([z.string(), z.array(assistantPart)]),
  }),
]);
const functionCallItem = z.object({
  type: z.literal("function_call"),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
});
const functionCallOutputItem = z.object({
  type: z.literal("function_call_output"),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(toolOutputPart)]),
});
const reasoningItem = z.object({
  type: z.literal("reasoning"),
  summary: z.array(z.object({ type: z.literal("summary_text"), text: z.string() })).nullish(),
  content: z.array(z.object({ type: z.literal("reasoning_text"), text: z.string() })).nullish(),
  encrypted_content: z.string().nullish(),
});
const itemReference = z.object({ type: z.literal("item_reference"), id: z.string() });
const item = z.discriminatedUnion(
  "type",
  [messageItem, functionCallItem, functionCallOutputItem, reasoningItem, itemReference],
  { error: unsupported("items") },
);
type Item = z.infer<typeof item>;

const functionTool = z.object({
  type: z.literal("function"),
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 letters, digits, _ or -"),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

const textFormat = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    name: z.string().min(1),
    schema: z.record(z.string(), z.unknown()),
    strict: z.boolean().nullish(),
    description: z.string().optional(),
  }),
]);

const responsesBody = z.object({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(item)]),
  // OpenAI treats instructions as a system (developer) message ahead of the input.
  instructions: z.string().nullish(),
  tools: z.array(z.discriminatedUnion("type", [functionTool], { error: unsupported("tools") })).nullish(),
  tool_choice: z
    .union([
      z.enum(["auto", "none", "required"]),
      z.discriminatedUnion("type", [z.object({ type: z.literal("function"), name: z.string().min(1) })], {
        error: unsupported("tool choices"),
      }),
    ])
    .nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  // verbosity is a style hint with no canonical field: echoed, not forwarded.
  text: z
    .object({ format: textFormat.nullish(), verbosity: z.enum(["low", "medium", "high"]).nullish() })
    .nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_obfuscation: z.boolean().optional() }).nullish(),
  // OpenAI's default is true: the response is kept (responses/stored-input.ts) when the door has a store.
  store: z.boolean().nullish(),
  previous_response_id: refused(STATELESS),
  conversation: refused(STATELESS),
  background: z
    .literal(false, { error: "background responses are not supported; call without background" })
    .nullish(),
  prompt: refused("prompt templates are not supported; send the instructions and input themselves"),
  reasoning: z
    .object({
      effort: z.enum(EFFORTS).nullish(),
      // The door returns the model's own reasoning text (reasoning_text), never a summary of it.
      summary: z.enum(["auto", "concise", "detailed"]).nullish(),
    })
    .nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  user: z.string().nullish(),
  safety_identifier: z.string().nullish(),
  // Nothing is ever truncated: with "auto" an input past the context window fails upstream, as
  // with "disabled".
  truncation: z.enum(["auto", "disabled"]).nullish(),
  // Extra output OpenAI can add (encrypted reasoning, logprobs, tool results): accepted and ignored,
  // the answer is the same without it.
  include: z.array(z.string()).nullish(),
  // The canonical answer carries no logprobs, so asking for them would be silently unmet.
  top_logprobs: z.literal(0, { error: "logprobs are not supported by this door" }).nullish(),
});
type Body = z.infer<typeof responsesBody>;

function contentPart(p: ContentInput): ContentPart {
  const cacheControl =
    "prompt_cache_breakpoint" in p && p.prompt_cache_breakpoint ? { type: "ephemeral" } : undefined;
  switch (p.type) {
    case "input_text":
    case "output_text":
      return create(ContentPartSchema, { part: { case: "text", value: p.text }, cacheControl });
    case "input_image":
      // "original" (full resolution) has no canonical detail; "high" is the closest.
      return create(ContentPartSchema, {
        part: p.image_url
          ? {
              case: "imageUrl",
              value: { url: p.image_url, detail: p.detail === "original" ? "high" : (p.detail ?? "") },
            }
          : { case: "file", value: { fileId: p.file_id ?? "" } },
        cacheControl,
      });
    case "input_file":
      return create(ContentPartSchema, {
        part: {
          case: "file",
          value: { fileId: p.file_id ?? "", filename: p.filename ?? "", fileData: p.file_data ?? "" },
        },
        cacheControl,
      });
    case "input_audio":
      return create(ContentPartSchema, { part: { case: "inputAudio", value: p.input_audio } });
  }
}

/** Text or parts: a string stays a string (contentIsText) so the wire shape round-trips. */
function content(c: string | InputPart[]): Pick<Message, "content" | "contentIsText" | "refusal"> {
  if (typeof c === "string") return { content: [textPart(c)], contentIsText: true, refusal: "" };
  return {
    content: c.filter((p): p is ContentInput => p.type !== "refusal").map(contentPart),
    contentIsText: false,
    refusal: c.map((p) => (p.type === "refusal" ? p.refusal : "")).join(""),
  };
}

/**
 * The input items, in order, as canonical messages. The chat model puts one assistant turn's
 * text and parallel tool calls in one message, so function_call items join the assistant turn
 * right before them; a reasoning item goes with the next assistant turn (reasoning before an
 * answer is how every upstream orders it) and is dropped when no assistant turn follows.
 */
function messages(items: Item[]): Message[] {
  const out: Message[] = [];
  let turn: Message | undefined; // the assistant turn function calls join
  let reasoning: { text: string; signature: string } | undefined;
  const assistantTurn = (answer?: Pick<Message, "content" | "contentIsText" | "refusal">): Message => {
    const m = create(MessageSchema, {
      role: "assistant",
      ...answer,
      reasoningContent: reasoning?.text ?? "",
      reasoningSignature: reasoning?.signature ?? "",
    });
    reasoning = undefined;
    out.push(m);
    return m;
  };
  items.forEach((it, i) => {
    switch (it.type) {
      case undefined:
      case "message":
        if (it.role === "assistant") {
          turn = assistantTurn(content(it.content));
        } else {
          turn = undefined;
          out.push(create(MessageSchema, { role: it.role, ...content(it.content) }));
        }
        return;
      case "function_call":
        turn ??= assistantTurn();
        turn.toolCalls.push(
          create(ToolCallSchema, {
            id: it.call_id,
            type: "function",
            functionName: it.name,
            argumentsJson: it.arguments,
          }),
        );
        return;
      case "function_call_output":
        turn = undefined;
        out.push(create(MessageSchema, { role: "tool", toolCallId: it.call_id, ...content(it.output) }));
        return;
      case "reasoning": {
        turn = undefined;
        const parts = it.content?.length
          ? it.content.map((p) => p.text)
          : (it.summary ?? []).map((p) => p.text);
        const text = it.content?.length ? parts.join("") : parts.join("\n\n");
        // encrypted_content carries what this door put there: the upstream's reasoning signature
        // (Anthropic needs it back to continue a tool loop with thinking on).
        reasoning = {
          text: reasoning === undefined ? text : `${reasoning.text}\n\n${text}`,
          signature: it.encrypted_content ?? reasoning?.signature ?? "",
        };
        return;
      }
      case "item_reference":
        throw bad(
          `input[${i}]`,
          `item_reference "${it.id}" cannot be resolved: this gateway does not store responses; ` +
            "send the item itself (store: false semantics; with the Vercel AI SDK set " +
            "providerOptions.openai.store = false)",
        );
    }
  });
  return out;
}

function echoOf(b: Body): ResponseEcho {
  return {
    instructions: b.instructions ?? null,
    tools: b.tools ?? [],
    tool_choice: b.tool_choice ?? "auto",
    text: {
      format: b.text?.format ?? { type: "text" },
      ...(b.text?.verbosity ? { verbosity: b.text.verbosity } : {}),
    },
    temperature: b.temperature ?? null,
    top_p: b.top_p ?? null,
    max_output_tokens: b.max_output_tokens ?? null,
    metadata: b.metadata ?? {},
    parallel_tool_calls: b.parallel_tool_calls ?? true,
    reasoning: b.reasoning
      ? { effort: b.reasoning.effort ?? null, summary: b.reasoning.summary ?? null }
      : null,
    user: b.user ?? null,
    truncation: b.truncation ?? "disabled",
    store: b.store ?? true,
  };
}

export function parseResponsesBody(body: unknown): {
  request: ChatRequest;
  stream: boolean;
  echo: ResponseEcho;
} {
  const parsed = responsesBody.safeParse(body);
  if (!parsed.success) throw invalidBody(parsed.error);
  const b = parsed.data;
  if (Array.isArray(b.input) && b.input.length === 0) throw bad("input", "must hold at least one item");
  const system = b.instructions ? [textMessage("system", b.instructions)] : [];
  const input = typeof b.input === "string" ? [textMessage("user", b.input)] : messages(b.input);
  const format = b.text?.format;
  const request = create(ChatRequestSchema, {
    model: b.model,
    messages: [...system, ...input],
    tools: (b.tools ?? []).map((t) => canonicalTool(t)),
    toolChoice:
      b.tool_choice == null
        ? undefined
        : typeof b.tool_choice === "string"
          ? { mode: b.tool_choice }
          : { mode: "function", functionName: b.tool_choice.name },
    parallelToolCalls: b.parallel_tool_calls ?? undefined,
    responseFormat:
      format == null
        ? undefined
        : format.type === "json_schema"
          ? {
              type: "json_schema",
              jsonSchemaName: format.name,
              jsonSchema: jsonText(format.schema),
              strict: format.strict ?? undefined,
            }
          : { type: format.type },
    temperature: b.temperature ?? undefined,
    topP: b.top_p ?? undefined,
    maxTokens: b.max_output_tokens ?? undefined,
    user: b.safety_identifier ?? b.user ?? "",
    metadata: b.metadata ?? {},
    // A Response always reports usage, streamed or not.
    includeUsage: true,
    reasoningEffort: b.reasoning?.effort ?? "",
  });
  return { request, stream: b.stream ?? false, echo: echoOf(b) };
}

// Shared types of the MOCK provider: controls, recorded requests, the normalised view of a
// request that the protocol modules produce, and what they hand back to the server to write.

export type ProviderId = "openai" | "azure" | "anthropic" | "gemini" | "bedrock" | "mistral" | "compat";

/** Knobs that change how the mock answers. Every field is optional; absent means "normal". */
export interface MockControls {
  /** ms to wait before the response (before the first byte). */
  latency?: number;
  /** Adds a random delay to `latency`: exponential with this mean (ms), so a long tail. */
  jitter?: number;
  /** Streaming: ms to wait after the headers, before the first chunk. */
  ttft?: number;
  /** Streaming: ms between content chunks. */
  gap?: number;
  /** Number of generated words in the reply (default 12). */
  words?: number;
  /** Answer with this HTTP status and the provider's error body. */
  error?: number;
  /** Seconds in `Retry-After` on a 429 (default 1). */
  retry_after?: number;
  /** Only the first N requests with the same x-mock-key (or directive) fail. */
  fail_first?: number;
  /** Accept the request and never answer, until the client goes away. */
  hang?: number;
  /** Streaming: send N content chunks, then destroy the socket. */
  cut?: number;
  /** Answer with N tool calls when tools are offered. */
  tools?: number;
  /** Report N cached prompt tokens. */
  cached?: number;
  /**
   * Report N prompt tokens written to the prompt cache (at most the prompt's uncached part), as
   * Anthropic does for a request with cache_control breakpoints: `cache_creation_input_tokens`,
   * all of them 5-minute writes. Protocols without cache writes in their usage (OpenAI, Azure,
   * Gemini, Mistral, Bedrock) ignore it.
   */
  cache_write?: number;
  /** Report N reasoning tokens. */
  reasoning?: number;
  /** Anthropic: N redacted_thinking blocks after the thinking (ignored by the other protocols). */
  redacted_thinking?: number;
  /** Embedding dimension (default 8). */
  dims?: number;
  /**
   * Answer with the prompt instead of words: 1 the last user message, 2 all the prompt text
   * (system prompt included), in pieces of 4 characters, so values arrive split across chunks;
   * string arguments of tool calls carry it too. For tests of what reaches the client.
   */
  echo?: number;
  /** Refuse a prompt of more than this many tokens (the mock's count) as the vendor does. */
  context_window?: number;
  /** Refuse every prompt as a content-policy violation (OpenAI/Azure's `content_filter` 400). */
  content_filter?: number;
  /**
   * Answer plain words even when JSON (a schema) is asked for, as a model that ignores the
   * format does: for tests of what a caller does with output that does not validate.
   */
  ignore_format?: number;
}

export type MockOutcome = "completed" | "error" | "client_closed" | "cut" | "in_flight";

export interface MockRequestRecord {
  id: number;
  provider: ProviderId | "unknown";
  path: string;
  model: string | undefined;
  stream: boolean;
  controls: MockControls;
  /** First `[marker:xyz]` tag found in the prompt, if any. */
  marker: string | undefined;
  /** The `x-request-id` header, if any. */
  requestId: string | undefined;
  /** The request's headers, without the credentials (so tests can see what was forwarded). */
  headers: Record<string, string>;
  /** The request body as received (the first 2 MiB), so tests can see what reached upstream. */
  body: string;
  bodyBytes: number;
  startedAt: string;
  outcome: MockOutcome;
  status: number | undefined;
}

/** A tool the request offers, reduced to what the mock needs. */
export interface ToolSpec {
  name: string;
  schema: unknown;
}

export type ToolChoice = "auto" | "none" | "required" | { name: string };

/** The provider-independent reading of a chat request. */
export interface ChatIntent {
  model: string;
  stream: boolean;
  /** Text of the last user message (controls directive and seed come from here). */
  lastUserText: string;
  /** All prompt text (system, messages, tool definitions), for token counting. */
  promptText: string;
  messageCount: number;
  images: number;
  tools: ToolSpec[];
  toolChoice: ToolChoice;
  /** The conversation ends with a tool result: answer in text. */
  lastIsToolResult: boolean;
  maxTokens: number | undefined;
  stop: string[];
  /** JSON output requested; `schema` when a JSON schema was given. */
  json: { schema?: unknown } | undefined;
  /** OpenAI `stream_options.include_usage`. */
  includeUsage: boolean;
  /** Gemini streamGenerateContent without `alt=sse`: a streamed JSON array instead of SSE. */
  arrayStream?: boolean;
}

export interface EmbedIntent {
  model: string;
  inputs: string[];
  /** Dimension asked for by the request itself (`dimensions`, `outputDimensionality`). */
  dimensions: number | undefined;
  /** OpenAI `encoding_format: "base64"`. */
  base64: boolean;
  /** Several inputs answered as a list (Gemini batchEmbedContents). */
  batch: boolean;
}

export interface ToolCallPlan {
  name: string;
  /** Arguments as a JSON text. */
  arguments: string;
  /** The same JSON text cut into pieces for streaming. */
  fragments: string[];
  /** Deterministic seed for provider-specific ids. */
  seed: number;
}

export type FinishReason = "stop" | "length" | "stop_sequence" | "tool_calls";

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  /** Prompt tokens written to the cache (`cache_write=N`); apart from `cachedTokens`. */
  cacheWriteTokens: number;
  reasoningTokens: number;
}

/** What the mock is going to answer, before any wire format. */
export interface ReplyPlan {
  /** Seed derived from the request; used for ids. */
  seed: number;
  /** Text pieces; streamed one per chunk, concatenated for the full text. Empty for tool calls. */
  pieces: string[];
  /** Reasoning text pieces (when `reasoning=N`). */
  reasoningPieces: string[];
  /** Opaque data of redacted reasoning blocks (when `redacted_thinking=N`). */
  redacted: string[];
  toolCalls: ToolCallPlan[];
  finish: FinishReason;
  /** The stop sequence that ended the text, if any. */
  stopSequence: string | undefined;
  usage: Usage;
  images: number;
}

/** A complete non-streaming HTTP answer. */
export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  body: string | Uint8Array;
}

/** One unit written to a stream; `content` marks chunks counted by `cut=N` and paced by `gap`. */
export interface Frame {
  data: string | Uint8Array;
  content: boolean;
}

export interface StreamReply {
  headers: Record<string, string>;
  frames: Frame[];
}

export type Operation =
  | { kind: "chat"; model: string; stream: boolean; arrayStream?: boolean }
  | { kind: "embed"; model: string; batch: boolean }
  | { kind: "models" }
  | { kind: "model"; model: string };

/** One vendor's wire protocol. Pure: reads JSON, returns what to write. */
export interface Protocol {
  readonly provider: ProviderId;
  /** The chat and embedding models this provider lists. */
  readonly models: { chat: string; embed: string | undefined };
  match(method: string, path: string, query: URLSearchParams): Operation | undefined;
  /** An error reply when the request lacks the vendor's credentials, else undefined. */
  authenticate(
    headers: Record<string, string | string[] | undefined>,
    query: URLSearchParams,
  ): HttpReply | undefined;
  /** Vendor error for a status (used for `error=` controls, bad JSON, unknown model...). */
  error(status: number, message: string, detail?: { code?: string; retryAfter?: number }): HttpReply;
  /** Message for an unknown model in the vendor's words, with the status the vendor uses. */
  unknownModel(model: string): HttpReply;
  /** Read a chat body; a string is a validation failure (400 in the vendor's shape). */
  parseChat(body: unknown, op: Extract<Operation, { kind: "chat" }>): ChatIntent | string;
  parseEmbed?(body: unknown, op: Extract<Operation, { kind: "embed" }>): EmbedIntent | string;
  chat(intent: ChatIntent, plan: ReplyPlan): HttpReply;
  chatStream(intent: ChatIntent, plan: ReplyPlan): StreamReply;
  embed?(intent: EmbedIntent, vectors: number[][], promptTokens: number): HttpReply;
  listModels(op: Operation): HttpReply;
}

// The checks every request passes at either door, on the canonical (protobuf) request: the
// HTTP door's schema already holds a JSON body to most of them, and gRPC clients send the
// protobuf directly, so these are what a gRPC request is held to. Errors name the field.
import { GatewayError } from "@switchyard/common";
import type { ChatRequest, EmbedRequest } from "@switchyard/proto";

const ROLES = new Set(["system", "developer", "user", "assistant", "tool"]);
/** OpenAI's reasoning_effort scale (its SDK's ReasoningEffort); each adapter maps it. */
export const EFFORTS = ["none", "minimal", "low", "medium", "high", "xhigh", "max"] as const;
const EFFORT_SET = new Set<string>(["", ...EFFORTS]);
export const MAX_STOP_SEQUENCES = 64;
const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** More dimensions than any embedding model has; past it the request is surely a mistake. */
export const MAX_DIMENSIONS = 16_384;
export const MAX_EMBED_INPUTS = 2048;

const bad = (field: string, message: string): GatewayError =>
  new GatewayError("invalid_argument", `${field}: ${message}`, { field });

function inRange(value: number | undefined, field: string, min: number, max: number): void {
  if (value !== undefined && !(value >= min && value <= max))
    throw bad(field, `must be from ${min} to ${max}`);
}

export function checkChatRequest(req: ChatRequest): void {
  if (req.model === "") throw bad("model", "is required");
  if (req.messages.length === 0) throw bad("messages", "must hold at least one message");
  req.messages.forEach((m, i) => {
    const at = `messages[${i}]`;
    if (!ROLES.has(m.role)) throw bad(`${at}.role`, `must be one of ${[...ROLES].join(", ")}`);
    if (m.role === "tool" && m.toolCallId === "")
      throw bad(`${at}.tool_call_id`, "is required for a tool message");
    m.content.forEach((p, j) => {
      if (p.part.case === undefined) throw bad(`${at}.content[${j}]`, "is empty");
      if (p.part.case === "imageUrl" && p.part.value.url === "")
        throw bad(`${at}.content[${j}].image_url.url`, "is required");
    });
    m.toolCalls.forEach((c, j) => {
      if (c.functionName === "") throw bad(`${at}.tool_calls[${j}].function.name`, "is required");
    });
  });
  req.tools.forEach((t, i) => {
    if (!TOOL_NAME.test(t.function?.name ?? ""))
      throw bad(`tools[${i}].function.name`, "must be 1-64 letters, digits, _ or -");
  });
  inRange(req.temperature, "temperature", 0, 2);
  inRange(req.topP, "top_p", 0, 1);
  inRange(req.presencePenalty, "presence_penalty", -2, 2);
  inRange(req.frequencyPenalty, "frequency_penalty", -2, 2);
  inRange(req.topLogprobs, "top_logprobs", 0, 20);
  if (req.maxTokens === 0) throw bad("max_tokens", "must be positive");
  if (req.n !== undefined && req.n !== 1) throw bad("n", "only n=1 is supported");
  // OpenAI's door takes 4 (its API's limit); Anthropic's door more, as Anthropic does.
  if (req.stop.length > MAX_STOP_SEQUENCES) throw bad("stop", `at most ${MAX_STOP_SEQUENCES} sequences`);
  if (!EFFORT_SET.has(req.reasoningEffort))
    throw bad("reasoning_effort", `must be one of ${EFFORTS.join(", ")}`);
}

export function checkEmbedRequest(req: EmbedRequest): void {
  if (req.model === "") throw bad("model", "is required");
  if (req.input.length === 0) throw bad("input", "must hold at least one text");
  if (req.input.length > MAX_EMBED_INPUTS) throw bad("input", `at most ${MAX_EMBED_INPUTS} texts`);
  inRange(req.dimensions, "dimensions", 1, MAX_DIMENSIONS);
  if (!["", "float", "base64"].includes(req.encodingFormat))
    throw bad("encoding_format", "must be float or base64");
}

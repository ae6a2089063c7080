// OpenAI chat.completion JSON → canonical ChatResponse.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { GatewayError } from "@switchyard/common";
import { ChatResponseSchema, type ContentPartSchema } from "@switchyard/proto";
import type { ChatResult } from "../adapter.js";
import { arr, count, isObject, obj, str } from "../shared/json.js";
import { deterministicToolCallId } from "../shared/tool-call-id.js";
import { parseOpenAiUsage } from "./usage.js";

type PartInit = MessageInitShape<typeof ContentPartSchema>;

function messageContent(value: unknown): PartInit[] {
  if (typeof value === "string") return [{ part: { case: "text", value } }];
  // Some compatible servers answer with an array of text parts.
  const text = arr(value)
    .map((p) => str(obj(p)["text"]))
    .join("");
  return text === "" ? [] : [{ part: { case: "text", value: text } }];
}

/** `lenient`: also read OpenRouter's `reasoning` where `reasoning_content` (DeepSeek, vLLM) is absent. */
export function parseOpenAiResponse(provider: string, body: unknown, lenient = false): ChatResult {
  if (!isObject(body))
    throw new GatewayError("upstream_error", `${provider} returned a body that is not a JSON object`, {
      retryable: false,
    });
  const id = str(body["id"]);
  const usage = parseOpenAiUsage(body["usage"]);
  const response = create(ChatResponseSchema, {
    id,
    created: BigInt(count(body["created"])),
    model: str(body["model"]),
    systemFingerprint: str(body["system_fingerprint"]),
    usage,
    choices: arr(body["choices"]).map((c, ci) => {
      const choice = obj(c);
      const m = obj(choice["message"]);
      const reasoning = m["reasoning_content"] ?? (lenient ? m["reasoning"] : undefined);
      const toolCalls = arr(m["tool_calls"]).map((t, ti) => {
        const call = obj(t);
        const fn = obj(call["function"]);
        const args = fn["arguments"];
        return {
          id: str(call["id"]) || deterministicToolCallId(id, ci, ti),
          type: str(call["type"]) || "function",
          functionName: str(fn["name"]),
          argumentsJson: typeof args === "string" ? args : JSON.stringify(args ?? {}),
        };
      });
      return {
        index: count(choice["index"]) || ci,
        finishReason: str(choice["finish_reason"]) || (toolCalls.length > 0 ? "tool_calls" : ""),
        message: {
          role: str(m["role"]) || "assistant",
          content: messageContent(m["content"]),
          contentIsText: true,
          toolCalls,
          refusal: str(m["refusal"]),
          reasoningContent: str(reasoning),
        },
      };
    }),
  });
  return { response, usage };
}

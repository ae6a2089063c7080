// Anthropic Messages response → canonical ChatResponse.
import { create } from "@bufbuild/protobuf";
import { GatewayError } from "@switchyard/common";
import { ToolCallSchema, type ToolCall } from "@switchyard/proto";
import type { ChatResult } from "../adapter.js";
import { arr, isObject, obj, str } from "../shared/json.js";
import { assistantResponse } from "../shared/response.js";
import { anthropicFinishReason } from "./finish-reason.js";
import { JSON_TOOL_NAME } from "./json-mode.js";
import { anthropicUsage, noAnthropicUsage, readAnthropicUsage } from "./usage.js";

export function parseAnthropicResponse(body: unknown): ChatResult {
  if (!isObject(body))
    throw new GatewayError("upstream_error", "Anthropic returned a body that is not a JSON object", {
      retryable: false,
    });
  let text = "";
  let reasoning = "";
  let signature = "";
  const redacted: string[] = [];
  let jsonTool = false;
  const toolCalls: ToolCall[] = [];
  for (const b of arr(body["content"])) {
    const block = obj(b);
    const type = str(block["type"]);
    if (type === "text") text += str(block["text"]);
    else if (type === "tool_use" && str(block["name"]) === JSON_TOOL_NAME) {
      jsonTool = true;
      text += JSON.stringify(block["input"] ?? {});
    } else if (type === "tool_use") {
      toolCalls.push(
        create(ToolCallSchema, {
          id: str(block["id"]),
          type: "function",
          functionName: str(block["name"]),
          argumentsJson: JSON.stringify(block["input"] ?? {}),
        }),
      );
    } else if (type === "thinking") {
      reasoning += str(block["thinking"]);
      // One signature fits one thinking block; answers have one (the last one wins otherwise).
      signature = str(block["signature"]) || signature;
    } else if (type === "redacted_thinking") {
      redacted.push(str(block["data"]));
    }
  }
  const counts = noAnthropicUsage();
  readAnthropicUsage(body["usage"], counts);
  const usage = anthropicUsage(counts);
  const response = assistantResponse({
    id: str(body["id"]),
    created: 0n,
    model: str(body["model"]),
    text,
    toolCalls,
    finishReason: anthropicFinishReason(str(body["stop_reason"]), jsonTool && toolCalls.length === 0),
    usage,
    reasoning,
    reasoningSignature: signature,
    redactedReasoning: redacted,
    stopSequence: str(body["stop_sequence"]),
  });
  return { response, usage };
}

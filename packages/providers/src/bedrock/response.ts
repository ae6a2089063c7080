// Bedrock Converse response → canonical ChatResponse.
import { create } from "@bufbuild/protobuf";
import { GatewayError } from "@switchyard/common";
import { ToolCallSchema, type ToolCall } from "@switchyard/proto";
import type { ChatResult } from "../adapter.js";
import { arr, isObject, obj, str } from "../shared/json.js";
import { assistantResponse } from "../shared/response.js";
import { bedrockFinishReason } from "./finish-reason.js";
import { parseBedrockUsage } from "./usage.js";

export function parseBedrockResponse(body: unknown): ChatResult {
  if (!isObject(body))
    throw new GatewayError("upstream_error", "Bedrock returned a body that is not a JSON object", {
      retryable: false,
    });
  let text = "";
  let reasoning = "";
  let signature = "";
  const redacted: string[] = [];
  const toolCalls: ToolCall[] = [];
  for (const b of arr(obj(obj(body["output"])["message"])["content"])) {
    const block = obj(b);
    if (typeof block["text"] === "string") text += block["text"];
    else if (isObject(block["toolUse"])) {
      const use = block["toolUse"];
      toolCalls.push(
        create(ToolCallSchema, {
          id: str(use["toolUseId"]),
          type: "function",
          functionName: str(use["name"]),
          argumentsJson: JSON.stringify(use["input"] ?? {}),
        }),
      );
    } else if (isObject(block["reasoningContent"])) {
      const r = obj(block["reasoningContent"]["reasoningText"]);
      reasoning += str(r["text"]);
      signature = str(r["signature"]) || signature;
      // Redacted thinking: bytes, base64 in JSON — the form Anthropic's API gives the same data.
      const redactedContent = str(block["reasoningContent"]["redactedContent"]);
      if (redactedContent !== "") redacted.push(redactedContent);
    }
  }
  const usage = parseBedrockUsage(body["usage"]);
  const response = assistantResponse({
    id: "",
    created: 0n,
    model: "",
    text,
    toolCalls,
    finishReason: bedrockFinishReason(str(body["stopReason"])),
    usage,
    reasoning,
    reasoningSignature: signature,
    redactedReasoning: redacted,
  });
  return { response, usage };
}

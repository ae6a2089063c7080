// Gemini GenerateContentResponse → canonical ChatResponse (one choice per candidate).
import { create } from "@bufbuild/protobuf";
import { GatewayError } from "@switchyard/common";
import { ChatResponseSchema } from "@switchyard/proto";
import type { ChatResult } from "../adapter.js";
import { arr, count, isObject, obj, str } from "../shared/json.js";
import { readCandidateParts } from "./candidate.js";
import { geminiFinishReason } from "./finish-reason.js";
import { parseGeminiUsage } from "./usage.js";

export function parseGeminiResponse(body: unknown): ChatResult {
  if (!isObject(body))
    throw new GatewayError("upstream_error", "Gemini returned a body that is not a JSON object", {
      retryable: false,
    });
  const responseId = str(body["responseId"]);
  const usage = parseGeminiUsage(body["usageMetadata"]);
  const candidates = arr(body["candidates"]);
  const blocked = str(obj(body["promptFeedback"])["blockReason"]) !== "";
  const choices = candidates.map((c, i) => {
    const candidate = obj(c);
    const parts = readCandidateParts(candidate, responseId, i);
    return {
      index: typeof candidate["index"] === "number" ? count(candidate["index"]) : i,
      finishReason: geminiFinishReason(str(candidate["finishReason"]), parts.toolCalls.length > 0),
      message: {
        role: "assistant",
        content:
          parts.text === "" && parts.toolCalls.length > 0
            ? []
            : [{ part: { case: "text" as const, value: parts.text } }],
        contentIsText: true,
        toolCalls: parts.toolCalls,
        reasoningContent: parts.thoughts,
      },
    };
  });
  if (choices.length === 0 && blocked) {
    // The prompt itself was blocked: no candidates, only promptFeedback.
    choices.push({
      index: 0,
      finishReason: "content_filter",
      message: { role: "assistant", content: [], contentIsText: true, toolCalls: [], reasoningContent: "" },
    });
  }
  const response = create(ChatResponseSchema, {
    id: responseId,
    created: 0n,
    model: str(body["modelVersion"]),
    usage,
    choices,
  });
  return { response, usage };
}

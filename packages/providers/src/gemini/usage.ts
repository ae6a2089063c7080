// Gemini usageMetadata → canonical usage. candidatesTokenCount excludes thoughts; OpenAI's
// completion_tokens includes reasoning, so completion = candidates + thoughts.
import type { Usage } from "@switchyard/proto";
import { count, obj } from "../shared/json.js";
import { makeUsage } from "../shared/usage.js";

export function parseGeminiUsage(value: unknown): Usage {
  const u = obj(value);
  const thoughts = count(u["thoughtsTokenCount"]);
  return makeUsage({
    prompt: count(u["promptTokenCount"]) + count(u["toolUsePromptTokenCount"]),
    completion: count(u["candidatesTokenCount"]) + thoughts,
    total: count(u["totalTokenCount"]),
    cached: count(u["cachedContentTokenCount"]),
    reasoning: thoughts,
  });
}

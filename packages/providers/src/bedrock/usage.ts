// Bedrock TokenUsage → canonical usage. Like Anthropic's, inputTokens leaves out cache reads and
// writes; OpenAI's prompt_tokens includes them.
import type { Usage } from "@switchyard/proto";
import { count, obj } from "../shared/json.js";
import { makeUsage } from "../shared/usage.js";

export function parseBedrockUsage(value: unknown): Usage {
  const u = obj(value);
  const cacheRead = count(u["cacheReadInputTokens"]);
  const cacheWrite = count(u["cacheWriteInputTokens"]);
  const prompt = count(u["inputTokens"]) + cacheRead + cacheWrite;
  const completion = count(u["outputTokens"]);
  return makeUsage({
    prompt,
    completion,
    total: Math.max(count(u["totalTokens"]), prompt + completion),
    cached: cacheRead,
    cacheWrite,
  });
}

import type { Usage } from "@switchyard/proto";
import { count, obj } from "../shared/json.js";
import { makeUsage } from "../shared/usage.js";

/** OpenAI's usage object; also DeepSeek's prompt_cache_hit_tokens for compatible servers. */
export function parseOpenAiUsage(value: unknown): Usage {
  const u = obj(value);
  const prompt = obj(u["prompt_tokens_details"]);
  const completion = obj(u["completion_tokens_details"]);
  return makeUsage({
    prompt: count(u["prompt_tokens"]),
    completion: count(u["completion_tokens"]),
    total: count(u["total_tokens"]),
    cached: count(prompt["cached_tokens"]) || count(u["prompt_cache_hit_tokens"]),
    reasoning: count(completion["reasoning_tokens"]),
    audioPrompt: count(prompt["audio_tokens"]),
    audioCompletion: count(completion["audio_tokens"]),
  });
}

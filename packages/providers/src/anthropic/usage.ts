// Anthropic counts cache reads and cache writes apart from input_tokens; OpenAI's prompt_tokens
// includes cached tokens, so prompt = input + cache read + cache write.
import type { Usage } from "@switchyard/proto";
import { count, obj } from "../shared/json.js";
import { makeUsage } from "../shared/usage.js";

export interface AnthropicUsageCounts {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

export function readAnthropicUsage(value: unknown, into: AnthropicUsageCounts): void {
  const u = obj(value);
  // message_delta repeats the cumulative counts it has; absent or zero fields keep earlier values.
  into.input = count(u["input_tokens"]) || into.input;
  into.output = count(u["output_tokens"]) || into.output;
  into.cacheRead = count(u["cache_read_input_tokens"]) || into.cacheRead;
  into.cacheWrite = count(u["cache_creation_input_tokens"]) || into.cacheWrite;
}

export function anthropicUsage(c: AnthropicUsageCounts): Usage {
  return makeUsage({
    prompt: c.input + c.cacheRead + c.cacheWrite,
    completion: c.output,
    cached: c.cacheRead,
    cacheWrite: c.cacheWrite,
  });
}

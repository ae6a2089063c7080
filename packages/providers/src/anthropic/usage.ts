// Anthropic counts cache reads and cache writes apart from input_tokens; OpenAI's prompt_tokens
// includes cached tokens, so prompt = input + cache read + cache write. `cache_creation` splits
// the writes by TTL; the one-hour ones are priced higher.
import type { Usage } from "@switchyard/proto";
import { count, obj } from "../shared/json.js";
import { makeUsage } from "../shared/usage.js";

export interface AnthropicUsageCounts {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  cacheWrite1h: number;
}

export function noAnthropicUsage(): AnthropicUsageCounts {
  return { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0 };
}

export function readAnthropicUsage(value: unknown, into: AnthropicUsageCounts): void {
  const u = obj(value);
  // message_delta repeats the cumulative counts it has; absent or zero fields keep earlier values.
  into.input = count(u["input_tokens"]) || into.input;
  into.output = count(u["output_tokens"]) || into.output;
  into.cacheRead = count(u["cache_read_input_tokens"]) || into.cacheRead;
  into.cacheWrite = count(u["cache_creation_input_tokens"]) || into.cacheWrite;
  into.cacheWrite1h = count(obj(u["cache_creation"])["ephemeral_1h_input_tokens"]) || into.cacheWrite1h;
}

export function anthropicUsage(c: AnthropicUsageCounts): Usage {
  return makeUsage({
    prompt: c.input + c.cacheRead + c.cacheWrite,
    completion: c.output,
    cached: c.cacheRead,
    cacheWrite: c.cacheWrite,
    cacheWrite1h: c.cacheWrite1h,
  });
}

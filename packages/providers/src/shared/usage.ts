import { create } from "@bufbuild/protobuf";
import { UsageSchema, type Usage } from "@switchyard/proto";

export interface UsageCounts {
  /** All prompt tokens, cached ones included (OpenAI semantics). */
  prompt: number;
  /** All completion tokens, reasoning ones included (OpenAI semantics). */
  completion: number;
  total?: number;
  cached?: number;
  cacheWrite?: number;
  /** Of the cache writes, those with a one-hour TTL. */
  cacheWrite1h?: number;
  reasoning?: number;
  audioPrompt?: number;
  audioCompletion?: number;
}

export function makeUsage(c: UsageCounts): Usage {
  return create(UsageSchema, {
    promptTokens: c.prompt,
    completionTokens: c.completion,
    totalTokens: c.total !== undefined && c.total > 0 ? c.total : c.prompt + c.completion,
    cachedTokens: c.cached ?? 0,
    cacheWriteTokens: c.cacheWrite ?? 0,
    cacheWrite1hTokens: c.cacheWrite1h ?? 0,
    reasoningTokens: c.reasoning ?? 0,
    audioPromptTokens: c.audioPrompt ?? 0,
    audioCompletionTokens: c.audioCompletion ?? 0,
  });
}

export function emptyUsage(): Usage {
  return create(UsageSchema, {});
}

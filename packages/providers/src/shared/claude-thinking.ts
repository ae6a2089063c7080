// Claude's extended thinking, the same on Anthropic's API and on Bedrock: the budget a request
// asks for, and the thinking block that fits it under max_tokens.
import type { ChatRequest } from "@switchyard/proto";

// "none" has no budget: no thinking. xhigh and max stop at 24,576 so that a default max_tokens
// (budget + 4,096) stays within the smallest Claude output limit (32,000).
const THINKING_BUDGET: Record<string, number> = {
  minimal: 1024,
  low: 1024,
  medium: 4096,
  high: 16384,
  xhigh: 24576,
  max: 24576,
};

/** An explicit budget (the Anthropic door's thinking.budget_tokens) wins over the effort; 0 is off. */
export function claudeThinkingBudget(req: ChatRequest): number | undefined {
  if (req.thinkingBudgetTokens === undefined) return THINKING_BUDGET[req.reasoningEffort];
  return req.thinkingBudgetTokens > 0 ? req.thinkingBudgetTokens : undefined;
}

/**
 * The thinking block for `budget` under `maxTokens` (Claude wants 1,024 ≤ budget < max_tokens),
 * or undefined when max_tokens leaves no room for it.
 */
export function claudeThinking(
  budget: number,
  maxTokens: number,
): { type: "enabled"; budget_tokens: number } | undefined {
  if (maxTokens <= 1024) return undefined;
  return { type: "enabled", budget_tokens: Math.max(1024, Math.min(budget, maxTokens - 1)) };
}

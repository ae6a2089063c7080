// The `context_window=N` control: a prompt longer than N tokens (the mock's count) is refused
// the way each vendor refuses it, words and code included, so gateways' fallbacks on
// context-window refusals can be tested.
import type { ProviderId } from "./types.js";

/** Each vendor's message for a prompt of `tokens` over a window of `window`. */
export function contextRefusal(
  provider: ProviderId,
  tokens: number,
  window: number,
): { message: string; code?: string } {
  switch (provider) {
    case "anthropic":
      return { message: `prompt is too long: ${tokens} tokens > ${window} maximum` };
    case "gemini":
      return {
        message: `The input token count (${tokens}) exceeds the maximum number of tokens allowed (${window}).`,
      };
    case "bedrock":
      return { message: "Input is too long for requested model." };
    case "mistral":
      return {
        message: `Prompt contains ${tokens} tokens and 0 draft tokens, too large for model with ${window} maximum context length`,
      };
    default:
      return {
        message: `This model's maximum context length is ${window} tokens. However, your messages resulted in ${tokens} tokens. Please reduce the length of the messages.`,
        code: "context_length_exceeded",
      };
  }
}

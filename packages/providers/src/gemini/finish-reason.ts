// Gemini finishReason → OpenAI finish_reason.
const CONTENT_FILTER = new Set([
  "SAFETY",
  "RECITATION",
  "BLOCKLIST",
  "PROHIBITED_CONTENT",
  "SPII",
  "IMAGE_SAFETY",
  "IMAGE_PROHIBITED_CONTENT",
]);

export function geminiFinishReason(reason: string, calledTools: boolean): string {
  if (reason === "") return "";
  if (reason === "MAX_TOKENS") return "length";
  if (CONTENT_FILTER.has(reason)) return "content_filter";
  return calledTools ? "tool_calls" : "stop";
}

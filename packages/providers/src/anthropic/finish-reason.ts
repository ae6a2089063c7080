// Anthropic stop_reason → OpenAI finish_reason.
export function anthropicFinishReason(stopReason: string, jsonTool: boolean): string {
  switch (stopReason) {
    case "end_turn":
    case "stop_sequence":
    case "pause_turn":
      return "stop";
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "tool_use":
      return jsonTool ? "stop" : "tool_calls";
    case "refusal":
      return "content_filter";
    default:
      return stopReason === "" ? "" : "stop";
  }
}

// Builds a one-choice ChatResponse the way OpenAI shapes it: text as one text part with
// content_is_text, tool calls with arguments as JSON text.
import { create } from "@bufbuild/protobuf";
import { ChatResponseSchema, type ChatResponse, type ToolCall, type Usage } from "@switchyard/proto";

export interface AssistantTurn {
  id: string;
  created: bigint;
  model: string;
  text: string;
  toolCalls: ToolCall[];
  finishReason: string;
  usage: Usage;
  refusal?: string;
}

export function assistantResponse(turn: AssistantTurn): ChatResponse {
  return create(ChatResponseSchema, {
    id: turn.id,
    created: turn.created,
    model: turn.model,
    usage: turn.usage,
    choices: [
      {
        index: 0,
        finishReason: turn.finishReason,
        message: {
          role: "assistant",
          content:
            turn.text === "" && turn.toolCalls.length > 0
              ? []
              : [{ part: { case: "text", value: turn.text } }],
          contentIsText: true,
          toolCalls: turn.toolCalls,
          refusal: turn.refusal ?? "",
        },
      },
    ],
  });
}

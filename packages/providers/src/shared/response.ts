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
  /** The reasoning the model gave before answering (thinking blocks, reasoningContent). */
  reasoning?: string;
  /** Anthropic's signature of that reasoning. */
  reasoningSignature?: string;
  /** Anthropic redacted_thinking data, in order. */
  redactedReasoning?: string[];
  /** The request stop sequence that ended the answer, where the upstream says. */
  stopSequence?: string;
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
        stopSequence: turn.stopSequence ?? "",
        message: {
          role: "assistant",
          content:
            turn.text === "" && turn.toolCalls.length > 0
              ? []
              : [{ part: { case: "text", value: turn.text } }],
          contentIsText: true,
          toolCalls: turn.toolCalls,
          refusal: turn.refusal ?? "",
          reasoningContent: turn.reasoning ?? "",
          reasoningSignature: turn.reasoningSignature ?? "",
          redactedReasoning: turn.redactedReasoning ?? [],
        },
      },
    ],
  });
}

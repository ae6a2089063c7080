// Builders for OpenAI-shaped chat.completion.chunk messages with one choice.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  ChatChunkSchema,
  ToolCallDeltaSchema,
  type ChatChunk,
  type DeltaSchema,
  type ToolCallDelta,
} from "@switchyard/proto";

export interface ChunkMeta {
  id: string;
  /** Unix seconds; 0 when the upstream does not say (the provider service stamps it). */
  created: bigint;
  model: string;
}

export function makeChunk(
  meta: ChunkMeta,
  delta: MessageInitShape<typeof DeltaSchema>,
  finishReason = "",
  stopSequence = "",
): ChatChunk {
  return create(ChatChunkSchema, { ...meta, choices: [{ index: 0, delta, finishReason, stopSequence }] });
}

/** The first delta of a tool call: carries id, type and name (and any arguments already known). */
export function toolCallStart(index: number, id: string, name: string, argumentsJson = ""): ToolCallDelta {
  return create(ToolCallDeltaSchema, { index, id, type: "function", functionName: name, argumentsJson });
}

export function toolCallArguments(index: number, argumentsJson: string): ToolCallDelta {
  return create(ToolCallDeltaSchema, { index, argumentsJson });
}

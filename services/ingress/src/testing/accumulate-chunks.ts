// For the door specs: the canonical answer a chunk sequence adds up to, as the unary path would
// get it, so a door's stream can be checked against the same door's unary answer.
import { create } from "@bufbuild/protobuf";
import {
  ChatResponseSchema,
  ContentPartSchema,
  ToolCallSchema,
  type ChatChunk,
  type ChatResponse,
  type Usage,
} from "@switchyard/proto";

export function accumulateChunks(cs: readonly ChatChunk[], usage: Usage): ChatResponse {
  const first = cs[0];
  const r = create(ChatResponseSchema, {
    id: first?.id,
    created: first?.created,
    model: first?.model,
    choices: [{ message: { role: "assistant" } }],
    usage,
  });
  const choice = r.choices[0]!;
  const m = choice.message!;
  let text = "";
  for (const c of cs) {
    const d = c.choices[0]?.delta;
    text += d?.content ?? "";
    m.reasoningContent += d?.reasoningContent ?? "";
    m.reasoningSignature += d?.reasoningSignature ?? "";
    m.redactedReasoning.push(...(d?.redactedReasoning ?? []));
    m.refusal += d?.refusal ?? "";
    for (const t of d?.toolCalls ?? []) {
      const call = (m.toolCalls[t.index] ??= create(ToolCallSchema, { type: "function" }));
      call.id ||= t.id;
      call.functionName ||= t.functionName;
      call.argumentsJson += t.argumentsJson;
    }
    choice.finishReason = c.choices[0]?.finishReason || choice.finishReason;
  }
  if (text !== "") m.content = [create(ContentPartSchema, { part: { case: "text", value: text } })];
  return r;
}

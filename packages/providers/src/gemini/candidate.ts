// One Gemini candidate's parts, split into text, thoughts and function calls. Gemini function
// calls carry no ids (except on some models): ids are derived from the response id, candidate
// and call position, so the same answer always yields the same ids.
import { create } from "@bufbuild/protobuf";
import { ToolCallSchema, type ToolCall } from "@switchyard/proto";
import { arr, obj, str } from "../shared/json.js";
import { deterministicToolCallId } from "../shared/tool-call-id.js";

export interface CandidateParts {
  text: string;
  thoughts: string;
  toolCalls: ToolCall[];
}

/** `firstToolIndex` continues the call numbering across stream events. */
export function readCandidateParts(
  candidate: unknown,
  responseId: string,
  candidateIndex: number,
  firstToolIndex = 0,
): CandidateParts {
  const out: CandidateParts = { text: "", thoughts: "", toolCalls: [] };
  for (const p of arr(obj(obj(candidate)["content"])["parts"])) {
    const part = obj(p);
    if (typeof part["text"] === "string") {
      if (part["thought"] === true) out.thoughts += part["text"];
      else out.text += part["text"];
    } else if (part["functionCall"] !== undefined) {
      const call = obj(part["functionCall"]);
      const name = str(call["name"]);
      const index = firstToolIndex + out.toolCalls.length;
      out.toolCalls.push(
        create(ToolCallSchema, {
          id: str(call["id"]) || deterministicToolCallId(responseId, candidateIndex, index, name),
          type: "function",
          functionName: name,
          argumentsJson: JSON.stringify(call["args"] ?? {}),
        }),
      );
    }
  }
  return out;
}

// Gemini :streamGenerateContent?alt=sse → canonical chunks. Each event is a whole
// GenerateContentResponse; there is no separate terminal event, so the stream is complete once a
// candidate carried a finishReason (or the prompt was blocked).
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { GatewayError } from "@switchyard/common";
import { ChatChunkSchema, type ChatChunk, type ChunkChoiceSchema, type Usage } from "@switchyard/proto";
import type { StreamDecoder } from "../adapter.js";
import { toolCallStart } from "../shared/chunks.js";
import { upstreamMessage } from "../shared/http-error.js";
import { arr, count, isObject, obj, parseUpstreamJson, str } from "../shared/json.js";
import { SseReader } from "../shared/sse-reader.js";
import { emptyUsage } from "../shared/usage.js";
import { readCandidateParts } from "./candidate.js";
import { geminiFinishReason } from "./finish-reason.js";
import { parseGeminiUsage } from "./usage.js";

type ChoiceInit = MessageInitShape<typeof ChunkChoiceSchema>;

export class GeminiStreamDecoder implements StreamDecoder {
  private readonly sse = new SseReader();
  private readonly sentRole = new Set<number>();
  private readonly toolCounts = new Map<number, number>();
  private usage: Usage = emptyUsage();
  private finishReason = "";
  private done = false;
  private responseId = "";

  push(bytes: Uint8Array): ChatChunk[] {
    const out: ChatChunk[] = [];
    for (const event of this.sse.push(bytes)) this.onEvent(event.data, out);
    return out;
  }

  finish(): { usage: Usage; finishReason: string } {
    for (const event of this.sse.end()) this.onEvent(event.data, []);
    if (!this.done)
      throw new GatewayError("upstream_error", "Gemini stream ended before a finishReason", {
        retryable: true,
      });
    return { usage: this.usage, finishReason: this.finishReason };
  }

  private onEvent(data: string, out: ChatChunk[]): void {
    if (data.trim() === "") return;
    const json = parseUpstreamJson(data, "Gemini");
    if (!isObject(json)) return;
    if (json["error"] !== undefined) {
      throw new GatewayError("upstream_error", `Gemini stream error: ${upstreamMessage(json)}`, {
        cause: json,
      });
    }
    this.responseId ||= str(json["responseId"]);
    if (json["usageMetadata"] !== undefined) this.usage = parseGeminiUsage(json["usageMetadata"]);
    const choices: ChoiceInit[] = [];
    arr(json["candidates"]).forEach((c, position) => {
      const candidate = obj(c);
      const index = typeof candidate["index"] === "number" ? count(candidate["index"]) : position;
      const first = this.toolCounts.get(index) ?? 0;
      const parts = readCandidateParts(candidate, this.responseId, index, first);
      this.toolCounts.set(index, first + parts.toolCalls.length);
      const reason = str(candidate["finishReason"]);
      const finishReason = geminiFinishReason(reason, first + parts.toolCalls.length > 0);
      const delta: NonNullable<ChoiceInit["delta"]> = {};
      if (!this.sentRole.has(index)) {
        this.sentRole.add(index);
        delta.role = "assistant";
      }
      if (parts.text !== "") delta.content = parts.text;
      if (parts.thoughts !== "") delta.reasoningContent = parts.thoughts;
      if (parts.toolCalls.length > 0) {
        delta.toolCalls = parts.toolCalls.map((t, i) =>
          toolCallStart(first + i, t.id, t.functionName, t.argumentsJson),
        );
      }
      if (finishReason !== "") {
        this.finishReason = finishReason;
        this.done = true;
      }
      if (Object.keys(delta).length > 0 || finishReason !== "") choices.push({ index, delta, finishReason });
    });
    if (choices.length === 0 && str(obj(json["promptFeedback"])["blockReason"]) !== "") {
      this.finishReason = "content_filter";
      this.done = true;
      choices.push({ index: 0, delta: { role: "assistant" }, finishReason: "content_filter" });
    }
    if (choices.length === 0) return;
    out.push(
      create(ChatChunkSchema, {
        id: this.responseId,
        created: 0n,
        model: str(json["modelVersion"]),
        choices,
      }),
    );
  }
}

// OpenAI chat.completion.chunk SSE → canonical chunks. The terminal event is `data: [DONE]`.
// Lenient mode (compatible servers) also accepts a stream that ended after a finish_reason, fills
// in missing roles, tool call indexes and ids, and reads DeepSeek/OpenRouter reasoning deltas.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { GatewayError } from "@switchyard/common";
import {
  ChatChunkSchema,
  ToolCallDeltaSchema,
  type ChatChunk,
  type ChunkChoiceSchema,
  type Usage,
} from "@switchyard/proto";
import type { StreamDecoder } from "../adapter.js";
import { upstreamMessage } from "../shared/http-error.js";
import { arr, count, isObject, obj, parseUpstreamJson, str, type JsonObject } from "../shared/json.js";
import { SseReader } from "../shared/sse-reader.js";
import { deterministicToolCallId } from "../shared/tool-call-id.js";
import { emptyUsage } from "../shared/usage.js";
import { parseOpenAiUsage } from "./usage.js";

export interface OpenAiStreamOptions {
  provider: string;
  lenient: boolean;
}

type ChoiceInit = MessageInitShape<typeof ChunkChoiceSchema>;

export class OpenAiStreamDecoder implements StreamDecoder {
  private readonly sse = new SseReader();
  private done = false;
  private sentRole = false;
  private finishReason = "";
  private usage: Usage = emptyUsage();
  private chunkId = "";
  /** Lenient mode: tool calls seen per choice, to give index-less calls stable indexes. */
  private readonly seenCalls = new Map<string, number>();

  constructor(private readonly opts: OpenAiStreamOptions) {}

  push(bytes: Uint8Array): ChatChunk[] {
    const out: ChatChunk[] = [];
    for (const event of this.sse.push(bytes)) this.onEvent(event.data, out);
    return out;
  }

  finish(): { usage: Usage; finishReason: string } {
    const out: ChatChunk[] = [];
    for (const event of this.sse.end()) this.onEvent(event.data, out);
    const ended = this.done || (this.opts.lenient && this.finishReason !== "");
    if (!ended) {
      throw new GatewayError(
        "upstream_error",
        `${this.opts.provider} stream ended before its terminal event ([DONE])`,
        {
          retryable: true,
        },
      );
    }
    return { usage: this.usage, finishReason: this.finishReason };
  }

  private onEvent(data: string, out: ChatChunk[]): void {
    if (this.done) return;
    if (data.trim() === "[DONE]") {
      this.done = true;
      return;
    }
    if (data.trim() === "") return;
    const json = parseUpstreamJson(data, this.opts.provider);
    if (!isObject(json)) return;
    if (json["error"] !== undefined) {
      throw new GatewayError(
        "upstream_error",
        `${this.opts.provider} stream error: ${upstreamMessage(json)}`,
        { cause: json },
      );
    }
    if (isObject(json["usage"])) this.usage = parseOpenAiUsage(json["usage"]);
    this.chunkId ||= str(json["id"]);
    const choices: ChoiceInit[] = [];
    for (const c of arr(json["choices"])) {
      const choice = this.choice(obj(c));
      if (choice !== undefined) choices.push(choice);
    }
    if (choices.length === 0) return; // usage-only or filter-only chunks: usage comes from finish()
    out.push(
      create(ChatChunkSchema, {
        id: str(json["id"]) || this.chunkId,
        created: BigInt(count(json["created"])),
        model: str(json["model"]),
        choices,
      }),
    );
  }

  private choice(c: JsonObject): ChoiceInit | undefined {
    const index = count(c["index"]);
    const d = obj(c["delta"]);
    const finishReason = str(c["finish_reason"]);
    if (finishReason !== "") this.finishReason = finishReason;
    const delta: NonNullable<ChoiceInit["delta"]> = {};
    let empty = true;
    let role = str(d["role"]);
    if (!this.sentRole) role = "assistant";
    if (role !== "") {
      delta.role = role;
      this.sentRole = true;
      empty = false;
    }
    if (typeof d["content"] === "string") {
      delta.content = d["content"];
      empty = false;
    }
    if (typeof d["refusal"] === "string") {
      delta.refusal = d["refusal"];
      empty = false;
    }
    const reasoning = d["reasoning_content"] ?? (this.opts.lenient ? d["reasoning"] : undefined);
    if (typeof reasoning === "string" && reasoning !== "") {
      delta.reasoningContent = reasoning;
      empty = false;
    }
    const calls = arr(d["tool_calls"]).map((t) => this.toolCall(index, obj(t)));
    if (calls.length > 0) {
      delta.toolCalls = calls;
      empty = false;
    }
    if (empty && finishReason === "") return undefined;
    return { index, delta, finishReason };
  }

  private toolCall(choice: number, t: JsonObject): MessageInitShape<typeof ToolCallDeltaSchema> {
    const fn = obj(t["function"]);
    const args = fn["arguments"];
    const argumentsJson = typeof args === "string" ? args : args === undefined ? "" : JSON.stringify(args);
    let index = typeof t["index"] === "number" ? count(t["index"]) : -1;
    let id = str(t["id"]);
    const name = str(fn["name"]);
    if (this.opts.lenient) {
      // Servers that send whole calls without an index: each named call is a new one.
      if (index < 0) {
        const next = this.seenCalls.get(`${choice}`) ?? 0;
        index = name !== "" || next === 0 ? next : next - 1;
        if (name !== "" || next === 0) this.seenCalls.set(`${choice}`, next + 1);
      }
      const key = `${choice}:${index}`;
      if (!this.seenCalls.has(key)) {
        this.seenCalls.set(key, 1);
        if (id === "") id = deterministicToolCallId(this.chunkId, choice, index, name);
      }
    }
    const start = id !== "" || name !== "";
    return create(ToolCallDeltaSchema, {
      index: Math.max(0, index),
      id,
      type: start ? str(t["type"]) || "function" : "",
      functionName: name,
      argumentsJson,
    });
  }
}

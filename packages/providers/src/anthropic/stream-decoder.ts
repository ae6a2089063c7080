// Anthropic Messages SSE → canonical chunks. Terminal event: message_stop.
import { GatewayError } from "@switchyard/common";
import type { ChatChunk, Usage } from "@switchyard/proto";
import type { StreamDecoder } from "../adapter.js";
import { makeChunk, toolCallArguments, toolCallStart, type ChunkMeta } from "../shared/chunks.js";
import { count, isObject, obj, parseUpstreamJson, str, type JsonObject } from "../shared/json.js";
import { SseReader } from "../shared/sse-reader.js";
import { anthropicFinishReason } from "./finish-reason.js";
import { JSON_TOOL_NAME } from "./json-mode.js";
import { anthropicUsage, noAnthropicUsage, readAnthropicUsage, type AnthropicUsageCounts } from "./usage.js";

type BlockKind =
  | { kind: "text" }
  | { kind: "tool"; toolIndex: number }
  | { kind: "json" }
  | { kind: "thinking" }
  | { kind: "other" };

export class AnthropicStreamDecoder implements StreamDecoder {
  private readonly sse = new SseReader();
  private readonly meta: ChunkMeta = { id: "", created: 0n, model: "" };
  private readonly blocks = new Map<number, BlockKind>();
  private readonly counts: AnthropicUsageCounts = noAnthropicUsage();
  private toolCount = 0;
  private jsonTool = false;
  private finishReason = "";
  private done = false;

  push(bytes: Uint8Array): ChatChunk[] {
    const out: ChatChunk[] = [];
    for (const event of this.sse.push(bytes)) this.onEvent(event.data, out);
    return out;
  }

  finish(): { usage: Usage; finishReason: string } {
    for (const event of this.sse.end()) this.onEvent(event.data, []);
    if (!this.done)
      throw new GatewayError("upstream_error", "Anthropic stream ended before message_stop", {
        retryable: true,
      });
    return { usage: anthropicUsage(this.counts), finishReason: this.finishReason };
  }

  private onEvent(data: string, out: ChatChunk[]): void {
    if (this.done || data.trim() === "") return;
    const json = parseUpstreamJson(data, "Anthropic");
    if (!isObject(json)) return;
    switch (str(json["type"])) {
      case "message_start": {
        const message = obj(json["message"]);
        this.meta.id = str(message["id"]);
        this.meta.model = str(message["model"]);
        readAnthropicUsage(message["usage"], this.counts);
        const first = makeChunk(this.meta, { role: "assistant", content: "" });
        // The prompt side (input, cache reads and writes) is known now; output comes at the end.
        first.usage = anthropicUsage({ ...this.counts, output: 0 });
        out.push(first);
        return;
      }
      case "content_block_start":
        this.onBlockStart(count(json["index"]), obj(json["content_block"]), out);
        return;
      case "content_block_delta":
        this.onBlockDelta(count(json["index"]), obj(json["delta"]), out);
        return;
      case "message_delta": {
        readAnthropicUsage(json["usage"], this.counts);
        const delta = obj(json["delta"]);
        const stopReason = str(delta["stop_reason"]);
        if (stopReason !== "") {
          this.finishReason = anthropicFinishReason(stopReason, this.jsonTool && this.toolCount === 0);
          out.push(makeChunk(this.meta, {}, this.finishReason, str(delta["stop_sequence"])));
        }
        return;
      }
      case "message_stop":
        this.done = true;
        return;
      case "error": {
        const error = obj(json["error"]);
        const type = str(error["type"]);
        throw new GatewayError(
          "upstream_error",
          `Anthropic stream error (${type}): ${str(error["message"])}`,
          {
            retryable: type !== "invalid_request_error",
            cause: json,
          },
        );
      }
      default: // ping, content_block_stop and future event types
        return;
    }
  }

  private onBlockStart(index: number, block: JsonObject, out: ChatChunk[]): void {
    const type = str(block["type"]);
    if (type === "text") {
      this.blocks.set(index, { kind: "text" });
      const text = str(block["text"]);
      if (text !== "") out.push(makeChunk(this.meta, { content: text }));
    } else if (type === "tool_use" && str(block["name"]) === JSON_TOOL_NAME) {
      this.jsonTool = true;
      this.blocks.set(index, { kind: "json" });
    } else if (type === "tool_use") {
      const toolIndex = this.toolCount++;
      this.blocks.set(index, { kind: "tool", toolIndex });
      out.push(
        makeChunk(this.meta, { toolCalls: [toolCallStart(toolIndex, str(block["id"]), str(block["name"]))] }),
      );
    } else if (type === "thinking") {
      this.blocks.set(index, { kind: "thinking" });
      const thinking = str(block["thinking"]);
      if (thinking !== "") out.push(makeChunk(this.meta, { reasoningContent: thinking }));
      const signature = str(block["signature"]);
      if (signature !== "") out.push(makeChunk(this.meta, { reasoningSignature: signature }));
    } else if (type === "redacted_thinking") {
      // Whole in its start event (no deltas follow): passed on for the client to send back.
      this.blocks.set(index, { kind: "other" });
      const data = str(block["data"]);
      if (data !== "") out.push(makeChunk(this.meta, { redactedReasoning: [data] }));
    } else {
      this.blocks.set(index, { kind: "other" });
    }
  }

  private onBlockDelta(index: number, delta: JsonObject, out: ChatChunk[]): void {
    const block = this.blocks.get(index);
    switch (str(delta["type"])) {
      case "text_delta":
        out.push(makeChunk(this.meta, { content: str(delta["text"]) }));
        return;
      case "thinking_delta":
        out.push(makeChunk(this.meta, { reasoningContent: str(delta["thinking"]) }));
        return;
      case "signature_delta": {
        const signature = str(delta["signature"]);
        if (signature !== "") out.push(makeChunk(this.meta, { reasoningSignature: signature }));
        return;
      }
      case "input_json_delta": {
        const fragment = str(delta["partial_json"]);
        if (fragment === "") return;
        if (block?.kind === "tool")
          out.push(makeChunk(this.meta, { toolCalls: [toolCallArguments(block.toolIndex, fragment)] }));
        else if (block?.kind === "json") out.push(makeChunk(this.meta, { content: fragment }));
        return;
      }
      default: // citations_delta
        return;
    }
  }
}

// Bedrock ConverseStream (application/vnd.amazon.eventstream) → canonical chunks. Each frame's
// :event-type names the event and its payload is that event's JSON. Terminal event: messageStop;
// the metadata event with usage follows it, and a body that ends inside a frame is a cut stream.
import type { Message } from "@smithy/core/event-streams";
import { GatewayError } from "@switchyard/common";
import type { ChatChunk, Usage } from "@switchyard/proto";
import type { StreamDecoder } from "../adapter.js";
import { makeChunk, toolCallArguments, toolCallStart, type ChunkMeta } from "../shared/chunks.js";
import { count, isObject, obj, parseUpstreamJson, str, type JsonObject } from "../shared/json.js";
import { emptyUsage } from "../shared/usage.js";
import { bedrockStreamException } from "./errors.js";
import { EventStreamReader } from "./event-stream-reader.js";
import { bedrockFinishReason } from "./finish-reason.js";
import { parseBedrockUsage } from "./usage.js";

function header(message: Message, name: string): string {
  const h = message.headers[name];
  return h !== undefined && h.type === "string" ? h.value : "";
}

export class BedrockStreamDecoder implements StreamDecoder {
  private readonly reader = new EventStreamReader();
  private readonly decoder = new TextDecoder("utf-8");
  private readonly meta: ChunkMeta = { id: "", created: 0n, model: "" };
  private readonly toolIndexes = new Map<number, number>();
  /** Redacted reasoning by content block, gathered until the block stops (bytes, base64 in JSON). */
  private readonly redacted = new Map<number, Buffer[]>();
  private sentRole = false;
  private usage: Usage = emptyUsage();
  private finishReason = "";
  private done = false;

  push(bytes: Uint8Array): ChatChunk[] {
    const out: ChatChunk[] = [];
    for (const message of this.reader.push(bytes)) this.onMessage(message, out);
    return out;
  }

  finish(): { usage: Usage; finishReason: string } {
    if (!this.done)
      throw new GatewayError("upstream_error", "Bedrock stream ended before messageStop", {
        retryable: true,
      });
    if (this.reader.pending > 0) {
      throw new GatewayError(
        "upstream_error",
        `Bedrock stream ended inside an event frame (${this.reader.pending} bytes left over)`,
        { retryable: true },
      );
    }
    return { usage: this.usage, finishReason: this.finishReason };
  }

  private onMessage(message: Message, out: ChatChunk[]): void {
    const kind = header(message, ":message-type");
    const payload = this.decoder.decode(message.body);
    if (kind === "exception") {
      throw bedrockStreamException(
        header(message, ":exception-type"),
        str(obj(parseUpstreamJson(payload || "{}", "Bedrock"))["message"]),
      );
    }
    if (kind === "error")
      throw bedrockStreamException(header(message, ":error-code"), header(message, ":error-message"));
    if (kind !== "event") return;
    const json = parseUpstreamJson(payload || "{}", "Bedrock");
    if (!isObject(json)) return;
    this.onEvent(header(message, ":event-type"), json, out);
  }

  private role(out: ChatChunk[]): void {
    if (this.sentRole) return;
    this.sentRole = true;
    out.push(makeChunk(this.meta, { role: "assistant", content: "" }));
  }

  private onEvent(type: string, e: JsonObject, out: ChatChunk[]): void {
    switch (type) {
      case "messageStart":
        this.role(out);
        return;
      case "contentBlockStart": {
        this.role(out);
        const use = obj(obj(e["start"])["toolUse"]);
        if (str(use["toolUseId"]) === "" && str(use["name"]) === "") return;
        const toolIndex = this.toolIndexes.size;
        this.toolIndexes.set(count(e["contentBlockIndex"]), toolIndex);
        out.push(
          makeChunk(this.meta, {
            toolCalls: [toolCallStart(toolIndex, str(use["toolUseId"]), str(use["name"]))],
          }),
        );
        return;
      }
      case "contentBlockDelta": {
        this.role(out);
        const delta = obj(e["delta"]);
        if (typeof delta["text"] === "string") {
          out.push(makeChunk(this.meta, { content: delta["text"] }));
        } else if (isObject(delta["toolUse"])) {
          const toolIndex = this.toolIndexes.get(count(e["contentBlockIndex"]));
          const input = str(delta["toolUse"]["input"]);
          if (toolIndex !== undefined && input !== "")
            out.push(makeChunk(this.meta, { toolCalls: [toolCallArguments(toolIndex, input)] }));
        } else if (isObject(delta["reasoningContent"])) {
          const text = str(delta["reasoningContent"]["text"]);
          if (text !== "") out.push(makeChunk(this.meta, { reasoningContent: text }));
          const signature = str(delta["reasoningContent"]["signature"]);
          if (signature !== "") out.push(makeChunk(this.meta, { reasoningSignature: signature }));
          // Opaque bytes, passed on whole: a block's pieces are joined as bytes when it stops.
          const redacted = str(delta["reasoningContent"]["redactedContent"]);
          if (redacted !== "") {
            const index = count(e["contentBlockIndex"]);
            const pieces = this.redacted.get(index) ?? [];
            this.redacted.set(index, pieces);
            pieces.push(Buffer.from(redacted, "base64"));
          }
        }
        return;
      }
      case "contentBlockStop":
        this.flushRedacted(count(e["contentBlockIndex"]), out);
        return;
      case "messageStop":
        this.role(out);
        for (const index of [...this.redacted.keys()]) this.flushRedacted(index, out);
        this.finishReason = bedrockFinishReason(str(e["stopReason"]));
        this.done = true;
        out.push(makeChunk(this.meta, {}, this.finishReason));
        return;
      case "metadata":
        this.usage = parseBedrockUsage(e["usage"]);
        return;
      default: // future events
        return;
    }
  }

  private flushRedacted(index: number, out: ChatChunk[]): void {
    const pieces = this.redacted.get(index);
    if (pieces === undefined) return;
    this.redacted.delete(index);
    out.push(makeChunk(this.meta, { redactedReasoning: [Buffer.concat(pieces).toString("base64")] }));
  }
}

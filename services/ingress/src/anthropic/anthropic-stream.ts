// Canonical chunks → Anthropic's SSE event sequence: message_start (with the prompt's usage),
// ping, then content blocks opened, filled and closed one at a time (thinking, redacted_thinking,
// text, tool_use), then message_delta (stop reason, final usage) and message_stop. Never
// OpenAI's [DONE].
import type { GatewayError } from "@switchyard/common";
import type { ChatChunk, Usage } from "@switchyard/proto";
import type { SseEvent } from "../sse-event.js";
import { anthropicError } from "./anthropic-errors.js";
import { anthropicUsageJson, stopReason } from "./anthropic-response.js";

type Kind = "thinking" | "redacted_thinking" | "text" | "tool_use";

const event = (type: string, data: Record<string, unknown> = {}): SseEvent => ({
  event: type,
  data: { type, ...data },
});

export class AnthropicStreamEncoder {
  private started = false;
  private finished = false;
  private nextIndex = 0;
  private open: { kind: Kind; index: number } | undefined;
  /** Canonical tool-call index → its tool_use block. */
  private readonly calls = new Map<number, { id: string; index: number }>();
  private finishReason = "";
  private stopSequence = "";

  constructor(private readonly opts: { messageId: string; alias: string; inputTokensEstimate: number }) {}

  chunk(c: ChatChunk): SseEvent[] {
    if (this.finished) return [];
    const out = this.start(c.usage);
    const choice = c.choices[0];
    const d = choice?.delta;
    if (d !== undefined) {
      if (d.reasoningContent)
        this.delta(out, "thinking", { type: "thinking_delta", thinking: d.reasoningContent });
      if (d.reasoningSignature)
        this.delta(out, "thinking", { type: "signature_delta", signature: d.reasoningSignature });
      // A redacted_thinking block comes whole, as Anthropic sends it: opened with its data, closed.
      for (const data of d.redactedReasoning) {
        this.openBlock(out, "redacted_thinking", { data });
        this.close(out);
      }
      // An OpenAI refusal has no block of its own in Anthropic's shape: it is the answer's text.
      const text = (d.content ?? "") + (d.refusal ?? "");
      if (text !== "") this.delta(out, "text", { type: "text_delta", text });
      for (const t of d.toolCalls) {
        let call = this.calls.get(t.index);
        // A new index starts a call; so does a new id at a known index (upstreams that number
        // every call 0).
        if (call === undefined || (t.id !== "" && t.id !== call.id)) {
          call = {
            id: t.id,
            index: this.openBlock(out, "tool_use", { id: t.id, name: t.functionName, input: {} }),
          };
          this.calls.set(t.index, call);
        }
        // Upstreams stream one call after another; a late fragment of an earlier call still goes
        // to that call's block, which index-keyed accumulators (the SDKs) put in the right place.
        if (t.argumentsJson !== "")
          out.push(
            event("content_block_delta", {
              index: call.index,
              delta: { type: "input_json_delta", partial_json: t.argumentsJson },
            }),
          );
      }
    }
    if (choice?.finishReason) this.finishReason = choice.finishReason;
    if (choice?.stopSequence) this.stopSequence = choice.stopSequence;
    return out;
  }

  done(usage: Usage): SseEvent[] {
    if (this.finished) return [];
    this.finished = true;
    const out = this.start(undefined);
    this.close(out);
    out.push(
      event("message_delta", {
        delta: stopReason(this.finishReason, this.stopSequence),
        usage: anthropicUsageJson(usage),
      }),
      event("message_stop"),
    );
    return out;
  }

  error(err: GatewayError): SseEvent {
    this.finished = true;
    return { event: "error", data: anthropicError(err).body };
  }

  /**
   * message_start announces the prompt's usage, which Claude Code records per turn: the
   * upstream's own when its first chunk carries it, else the door's estimate, never zeros.
   */
  private start(usage: Usage | undefined): SseEvent[] {
    if (this.started) return [];
    this.started = true;
    const u =
      usage !== undefined && usage.promptTokens > 0
        ? { ...anthropicUsageJson(usage), output_tokens: 0 }
        : {
            input_tokens: this.opts.inputTokensEstimate,
            output_tokens: 0,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 0,
          };
    return [
      event("message_start", {
        message: {
          id: this.opts.messageId,
          type: "message",
          role: "assistant",
          model: this.opts.alias,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: u,
        },
      }),
      event("ping"),
    ];
  }

  /** A delta for the open thinking or text block, opening one (and closing another) if needed. */
  private delta(out: SseEvent[], kind: "thinking" | "text", delta: Record<string, unknown>): void {
    const index =
      this.open?.kind === kind
        ? this.open.index
        : this.openBlock(out, kind, kind === "text" ? { text: "" } : { thinking: "", signature: "" });
    out.push(event("content_block_delta", { index, delta }));
  }

  private openBlock(out: SseEvent[], kind: Kind, fields: Record<string, unknown>): number {
    this.close(out);
    const index = this.nextIndex++;
    this.open = { kind, index };
    out.push(event("content_block_start", { index, content_block: { type: kind, ...fields } }));
    return index;
  }

  private close(out: SseEvent[]): void {
    if (this.open === undefined) return;
    out.push(event("content_block_stop", { index: this.open.index }));
    this.open = undefined;
  }
}

// Canonical chat chunks → the Responses API's named SSE events. Each kind of delta (reasoning,
// text or refusal, one tool call) streams as its own output item; a change of kind closes the open
// item, so items arrive one after another with output_index counting them, as OpenAI sends them.
// The closing response.completed carries the Response built from the same items
// (responses-response.ts), so a stream and a unary call describe an answer the same way.
import type { GatewayError } from "@switchyard/common";
import type { ChatChunk, ToolCallDelta, Usage } from "@switchyard/proto";
import type { SseEvent } from "../sse-event.js";
import {
  ending,
  functionCallItem,
  lastItemStatus,
  messageItem,
  outputTextPart,
  reasoningItem,
  refusalPart,
  responseIds,
  responseJson,
  responseObject,
  type ItemStatus,
  type ResponseContext,
} from "./responses-response.js";

type Json = Record<string, unknown>;
type Part = { type: "output_text" | "refusal"; text: string };
type Call = { outputIndex: number; id: string; callId: string; name: string; args: string };
type OpenItem =
  | { kind: "reasoning"; outputIndex: number; id: string; text: string; signature: string }
  | { kind: "message"; outputIndex: number; id: string; parts: Part[] }
  | { kind: "call"; call: Call };

const partJson = (p: Part): Json => (p.type === "output_text" ? outputTextPart(p.text) : refusalPart(p.text));
/** The first item of a kind takes the plain id (msg_<id>), later ones a suffix. */
const nth = (id: string, n: number): string => (n === 0 ? id : `${id}_${n}`);

export class ResponsesStreamEncoder {
  private readonly ids: ReturnType<typeof responseIds>;
  private sequence = 0;
  /** The items so far by output_index, each replaced by its final form when it closes. */
  private readonly output: Json[] = [];
  private open: OpenItem | undefined;
  /** Tool calls by their canonical index (fragments name the call by it). */
  private readonly calls = new Map<number, Call>();
  /** Calls opened so far: their ids count them (an index may be reused for a new call). */
  private callCount = 0;
  private messages = 0;
  private reasonings = 0;
  private finishReason = "";

  constructor(private readonly ctx: ResponseContext) {
    this.ids = responseIds(ctx.id);
  }

  private event(type: string, fields: Json): SseEvent {
    return { event: type, data: { type, ...fields, sequence_number: this.sequence++ } };
  }

  start(): SseEvent[] {
    const response = responseJson(undefined, this.ctx);
    return [this.event("response.created", { response }), this.event("response.in_progress", { response })];
  }

  chunk(c: ChatChunk): SseEvent[] {
    const out: SseEvent[] = [];
    const choice = c.choices[0];
    const d = choice?.delta;
    if (d?.reasoningContent) this.reasoningDelta(d.reasoningContent, out);
    if (d?.reasoningSignature) this.reasoning(out).signature += d.reasoningSignature;
    if (d?.content) this.messageDelta("output_text", d.content, out);
    if (d?.refusal) this.messageDelta("refusal", d.refusal, out);
    for (const t of d?.toolCalls ?? []) this.callDelta(t, out);
    if (choice?.finishReason) this.finishReason = choice.finishReason;
    return out;
  }

  done(usage: Usage): SseEvent[] {
    const out: SseEvent[] = [];
    const end = ending(this.finishReason);
    this.close(out, lastItemStatus(end));
    const response = responseObject(this.ctx, end, this.output, usage);
    const type =
      end.status === "completed"
        ? "response.completed"
        : end.status === "incomplete"
          ? "response.incomplete"
          : "response.failed";
    out.push(this.event(type, { response }));
    return out;
  }

  /**
   * A stream that fails after its first byte ends in an `error` event, not response.failed: the
   * openai SDK throws on an event whose data has an `error` object (response.failed only replaces
   * its snapshot), and the Vercel AI SDK reports either, but twice if both came. The flat code,
   * message and param are the documented ResponseErrorEvent; `error` is the nested form both read.
   */
  error(err: GatewayError): SseEvent[] {
    return [
      this.event("error", {
        code: err.code,
        message: err.message,
        param: err.field || null,
        error: err.toOpenAI().error,
      }),
    ];
  }

  /** The open reasoning item, opened (after closing any other) if need be. */
  private reasoning(out: SseEvent[]): Extract<OpenItem, { kind: "reasoning" }> {
    if (this.open?.kind === "reasoning") return this.open;
    this.close(out, "completed");
    const r = {
      kind: "reasoning" as const,
      outputIndex: this.output.length,
      id: nth(this.ids.reasoning, this.reasonings++),
      text: "",
      signature: "",
    };
    this.open = r;
    const item = { type: "reasoning", id: r.id, summary: [] };
    this.output.push(item);
    // The content part is what the openai SDK's accumulator adds reasoning_text deltas to.
    out.push(
      this.event("response.output_item.added", { output_index: r.outputIndex, item }),
      this.event("response.content_part.added", {
        item_id: r.id,
        output_index: r.outputIndex,
        content_index: 0,
        part: { type: "reasoning_text", text: "" },
      }),
    );
    return r;
  }

  private reasoningDelta(delta: string, out: SseEvent[]): void {
    const r = this.reasoning(out);
    r.text += delta;
    out.push(
      this.event("response.reasoning_text.delta", {
        item_id: r.id,
        output_index: r.outputIndex,
        content_index: 0,
        delta,
      }),
    );
  }

  private messageDelta(type: Part["type"], delta: string, out: SseEvent[]): void {
    if (this.open?.kind !== "message") {
      this.close(out, "completed");
      const id = nth(this.ids.message, this.messages++);
      this.open = { kind: "message", outputIndex: this.output.length, id, parts: [] };
      const item = messageItem(id, [], "in_progress");
      this.output.push(item);
      out.push(this.event("response.output_item.added", { output_index: this.open.outputIndex, item }));
    }
    const m = this.open;
    let part = m.parts.at(-1);
    if (part?.type !== type) {
      if (part !== undefined) this.closePart(m, out);
      part = { type, text: "" };
      m.parts.push(part);
      out.push(
        this.event("response.content_part.added", {
          item_id: m.id,
          output_index: m.outputIndex,
          content_index: m.parts.length - 1,
          part: partJson(part),
        }),
      );
    }
    part.text += delta;
    const at = { item_id: m.id, output_index: m.outputIndex, content_index: m.parts.length - 1 };
    out.push(
      type === "output_text"
        ? this.event("response.output_text.delta", { ...at, delta, logprobs: [] })
        : this.event("response.refusal.delta", { ...at, delta }),
    );
  }

  private closePart(m: Extract<OpenItem, { kind: "message" }>, out: SseEvent[]): void {
    const part = m.parts.at(-1);
    if (part === undefined) return;
    const at = { item_id: m.id, output_index: m.outputIndex, content_index: m.parts.length - 1 };
    out.push(
      part.type === "output_text"
        ? this.event("response.output_text.done", { ...at, text: part.text, logprobs: [] })
        : this.event("response.refusal.done", { ...at, refusal: part.text }),
      this.event("response.content_part.done", { ...at, part: partJson(part) }),
    );
  }

  /** A delta with a new id opens a function_call item; fragments add to the call they name. */
  private callDelta(t: ToolCallDelta, out: SseEvent[]): void {
    let call = this.calls.get(t.index);
    if (call === undefined || (t.id !== "" && t.id !== call.callId)) {
      this.close(out, "completed");
      const id = this.ids.functionCall(this.callCount++);
      call = { outputIndex: this.output.length, id, callId: t.id || id, name: t.functionName, args: "" };
      this.calls.set(t.index, call);
      this.open = { kind: "call", call };
      const item = functionCallItem(id, call, "in_progress");
      this.output.push(item);
      out.push(this.event("response.output_item.added", { output_index: call.outputIndex, item }));
    }
    if (t.argumentsJson === "") return;
    call.args += t.argumentsJson;
    out.push(
      this.event("response.function_call_arguments.delta", {
        item_id: call.id,
        output_index: call.outputIndex,
        delta: t.argumentsJson,
      }),
    );
    // Calls stream one after another; a late fragment of a closed call still joins its arguments.
    if (this.open?.kind !== "call" || this.open.call !== call)
      this.output[call.outputIndex] = functionCallItem(call.id, call, "completed");
  }

  /** Closes the open item: its done events, and its final form in the output. */
  private close(out: SseEvent[], status: ItemStatus): void {
    const o = this.open;
    if (o === undefined) return;
    this.open = undefined;
    switch (o.kind) {
      case "reasoning": {
        const at = { item_id: o.id, output_index: o.outputIndex, content_index: 0 };
        const item = reasoningItem(o.id, o.text, o.signature);
        this.output[o.outputIndex] = item;
        out.push(
          this.event("response.reasoning_text.done", { ...at, text: o.text }),
          this.event("response.content_part.done", { ...at, part: { type: "reasoning_text", text: o.text } }),
          this.event("response.output_item.done", { output_index: o.outputIndex, item }),
        );
        return;
      }
      case "message": {
        this.closePart(o, out);
        const item = messageItem(o.id, o.parts.map(partJson), status);
        this.output[o.outputIndex] = item;
        out.push(this.event("response.output_item.done", { output_index: o.outputIndex, item }));
        return;
      }
      case "call": {
        const c = o.call;
        const item = functionCallItem(c.id, c, status);
        this.output[c.outputIndex] = item;
        out.push(
          this.event("response.function_call_arguments.done", {
            item_id: c.id,
            output_index: c.outputIndex,
            arguments: c.args,
            name: c.name,
          }),
          this.event("response.output_item.done", { output_index: c.outputIndex, item }),
        );
        return;
      }
    }
  }
}

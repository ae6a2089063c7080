import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { GatewayError } from "@switchyard/common";
import { ChatChunkSchema, UsageSchema } from "@switchyard/proto";
import type { SseEvent } from "../sse-event.js";
import { AnthropicStreamEncoder } from "./anthropic-stream.js";

interface Opts {
  messageId: string;
  alias: string;
  inputTokensEstimate: number;
}
interface StreamCase extends Opts {
  name: string;
  chunks: JsonValue[];
  usage: JsonValue;
  events: SseEvent[];
}
interface Fixture {
  cases: StreamCase[];
  sameAnswer: Opts & {
    usage: JsonValue;
    blockTypes: string[];
    expected: unknown;
    splits: Record<string, JsonValue[]>;
  };
}

const fixture = JSON.parse(
  readFileSync(new URL("./fixtures/streams.json", import.meta.url), "utf8"),
) as Fixture;

function encode(opts: Opts, chunks: JsonValue[], usage: JsonValue): SseEvent[] {
  const enc = new AnthropicStreamEncoder(opts);
  return [
    ...chunks.flatMap((c) => enc.chunk(fromJson(ChatChunkSchema, c))),
    ...enc.done(fromJson(UsageSchema, usage)),
  ];
}

/**
 * Checks Anthropic's event grammar: message_start, ping, blocks opened in index order, deltas
 * only to the open block, each block closed before the next, message_delta, message_stop.
 */
function assertWellFormed(events: SseEvent[]): void {
  assert.deepEqual(
    events.slice(0, 2).map((e) => e.event),
    ["message_start", "ping"],
  );
  assert.deepEqual(
    events.slice(-2).map((e) => e.event),
    ["message_delta", "message_stop"],
  );
  let open: number | undefined;
  let next = 0;
  for (const e of events) {
    assert.equal(e.data["type"], e.event);
    const index = e.data["index"];
    if (e.event === "content_block_start") {
      assert.equal(open, undefined, "a block opened while another is open");
      assert.equal(index, next++);
      open = index;
    } else if (e.event === "content_block_delta") assert.equal(index, open, "a delta outside the open block");
    else if (e.event === "content_block_stop") {
      assert.equal(index, open);
      open = undefined;
    } else if (e.event === "message_delta") assert.equal(open, undefined, "message_delta with a block open");
  }
  assert.ok(!JSON.stringify(events).includes("[DONE]"));
}

type Block = Record<string, unknown> & { type: string };
type Delta = { type: string; text?: string; thinking?: string; signature?: string; partial_json?: string };

/** Rebuilds the message from the events as the Anthropic SDK does (MessageStream's accumulator). */
function accumulate(events: SseEvent[]): Record<string, unknown> {
  let message: Record<string, unknown> & { content: Block[]; usage: Record<string, unknown> } = {
    content: [],
    usage: {},
  };
  const json = new Map<number, string>();
  for (const { event, data } of events) {
    const index = data["index"] as number;
    const block = message.content[index];
    switch (event) {
      case "message_start":
        message = structuredClone(data["message"]) as typeof message;
        break;
      case "content_block_start":
        message.content[index] = structuredClone(data["content_block"]) as Block;
        break;
      case "content_block_delta": {
        assert.ok(block !== undefined);
        const d = data["delta"] as Delta;
        if (d.type === "text_delta") block["text"] = `${block["text"] as string}${d.text}`;
        else if (d.type === "thinking_delta")
          block["thinking"] = `${block["thinking"] as string}${d.thinking}`;
        else if (d.type === "signature_delta") block["signature"] = d.signature;
        else if (d.type === "input_json_delta") json.set(index, (json.get(index) ?? "") + d.partial_json);
        else assert.fail(`unknown delta ${d.type}`);
        break;
      }
      case "content_block_stop":
        // The SDK parses the concatenated partial_json (an empty one is {}).
        if (block?.type === "tool_use") block["input"] = JSON.parse(json.get(index) || "{}");
        break;
      case "message_delta":
        Object.assign(message, data["delta"]);
        message.usage = { ...message.usage, ...(data["usage"] as Record<string, unknown>) };
        break;
    }
  }
  return message;
}

describe("Anthropic stream: conformance", () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const events = encode(c, c.chunks, c.usage);
      assertWellFormed(events);
      assert.deepEqual(events, c.events);
    });
  }
});

describe("Anthropic stream: the same answer split differently", () => {
  const s = fixture.sameAnswer;
  for (const [name, chunks] of Object.entries(s.splits)) {
    it(name, () => {
      const events = encode(s, chunks, s.usage);
      assertWellFormed(events);
      assert.deepEqual(
        events
          .filter((e) => e.event === "content_block_start")
          .map((e) => (e.data["content_block"] as Block).type),
        s.blockTypes,
      );
      assert.deepEqual(accumulate(events), s.expected);
    });
  }
});

describe("Anthropic stream: edges", () => {
  const opts = { messageId: "msg_x", alias: "a", inputTokensEstimate: 9 };
  const text = (content: string) => create(ChatChunkSchema, { choices: [{ delta: { content } }] });

  it("a first chunk with zero prompt usage falls back to the estimate", () => {
    const enc = new AnthropicStreamEncoder(opts);
    const [start] = enc.chunk(
      create(ChatChunkSchema, { usage: {}, choices: [{ delta: { role: "assistant" } }] }),
    );
    const usage = (start?.data["message"] as { usage: Record<string, unknown> }).usage;
    assert.equal(usage["input_tokens"], 9);
  });

  it("an error is Anthropic's error event, and nothing follows it", () => {
    const enc = new AnthropicStreamEncoder(opts);
    enc.chunk(text("partial"));
    const err = enc.error(new GatewayError("upstream_error", "upstream overloaded", { upstreamStatus: 529 }));
    assert.deepEqual(err, {
      event: "error",
      data: { type: "error", error: { type: "overloaded_error", message: "upstream overloaded" } },
    });
    assert.deepEqual(enc.chunk(text("more")), []);
    assert.deepEqual(enc.done(create(UsageSchema)), []);
  });

  it("done twice ends the message once", () => {
    const enc = new AnthropicStreamEncoder(opts);
    enc.chunk(text("hi"));
    assert.equal(enc.done(create(UsageSchema)).at(-1)?.event, "message_stop");
    assert.deepEqual(enc.done(create(UsageSchema)), []);
  });

  it("a redacted_thinking block goes out whole, between the signed thinking and the text", () => {
    const enc = new AnthropicStreamEncoder(opts);
    const events = [
      ...enc.chunk(create(ChatChunkSchema, { choices: [{ delta: { reasoningContent: "Hmm." } }] })),
      ...enc.chunk(create(ChatChunkSchema, { choices: [{ delta: { reasoningSignature: "c2ln" } }] })),
      ...enc.chunk(
        create(ChatChunkSchema, { choices: [{ delta: { redactedReasoning: ["EmwK", "AhgB"] } }] }),
      ),
      ...enc.chunk(text("Yes.")),
      ...enc.done(create(UsageSchema)),
    ];
    assertWellFormed(events);
    assert.deepEqual(accumulate(events)["content"], [
      { type: "thinking", thinking: "Hmm.", signature: "c2ln" },
      { type: "redacted_thinking", data: "EmwK" },
      { type: "redacted_thinking", data: "AhgB" },
      { type: "text", text: "Yes." },
    ]);
  });

  it("a new id at a reused tool index starts a new tool_use block", () => {
    const call = (id: string, argumentsJson: string) =>
      create(ChatChunkSchema, {
        choices: [{ delta: { toolCalls: [{ index: 0, id, functionName: "f", argumentsJson }] } }],
      });
    const enc = new AnthropicStreamEncoder(opts);
    const events = [
      ...enc.chunk(call("c1", "{}")),
      ...enc.chunk(call("c2", '{"a":1}')),
      ...enc.done(create(UsageSchema)),
    ];
    assertWellFormed(events);
    const content = accumulate(events)["content"] as Block[];
    assert.deepEqual(
      content.map((b) => [b["id"], b["input"]]),
      [
        ["c1", {}],
        ["c2", { a: 1 }],
      ],
    );
  });
});

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { GatewayError } from "@switchyard/common";
import { ChatChunkSchema, UsageSchema, type ChatChunk } from "@switchyard/proto";
import type { SseEvent } from "../sse-event.js";
import { accumulateChunks } from "../testing/accumulate-chunks.js";
import { parseResponsesBody } from "./responses-request.js";
import { responseJson, type ResponseContext } from "./responses-response.js";
import { ResponsesStreamEncoder } from "./responses-stream.js";

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8")) as T;

interface StreamsFixture {
  context: { id: string; alias: string; createdAt: number; body: unknown };
  usage: JsonValue;
  streams: { name: string; chunks: JsonValue[]; splits: JsonValue[][]; events: SseEvent[] }[];
  errorStream: {
    chunks: JsonValue[];
    error: { code: "upstream_error"; message: string };
    events: SseEvent[];
  };
}

const f = fixture<StreamsFixture>("streams.json");
const ctx: ResponseContext = { ...f.context, echo: parseResponsesBody(f.context.body).echo };
const usage = fromJson(UsageSchema, f.usage);
const chunks = (json: JsonValue[]): ChatChunk[] => json.map((c) => fromJson(ChatChunkSchema, c));

function encode(cs: ChatChunk[]): SseEvent[] {
  const enc = new ResponsesStreamEncoder(ctx);
  return [...enc.start(), ...cs.flatMap((c) => enc.chunk(c)), ...enc.done(usage)];
}

const final = (events: SseEvent[]): unknown => events.at(-1)?.data["response"];

describe("Responses stream encoder", () => {
  describe("conformance: canonical chunks → the expected events", () => {
    for (const s of f.streams) {
      it(s.name, () => {
        assert.deepEqual(encode(chunks(s.chunks)), s.events);
      });
    }
    it("an upstream failure after the first byte → an error event", () => {
      const enc = new ResponsesStreamEncoder(ctx);
      const err = new GatewayError(f.errorStream.error.code, f.errorStream.error.message);
      const events = [
        ...enc.start(),
        ...chunks(f.errorStream.chunks).flatMap((c) => enc.chunk(c)),
        ...enc.error(err),
      ];
      assert.deepEqual(events, f.errorStream.events);
    });
  });

  describe("conformance: the same answer split differently gives the same final Response", () => {
    for (const s of f.streams) {
      for (const [i, split] of s.splits.entries()) {
        it(`${s.name}, split ${i + 1}`, () => {
          assert.deepEqual(final(encode(chunks(split))), final(s.events));
        });
      }
      it(`${s.name}: the final Response is the unary Response of the accumulated answer`, () => {
        assert.deepEqual(final(s.events), responseJson(accumulateChunks(chunks(s.chunks), usage), ctx));
      });
    }
  });

  it("numbers events from 0, names each by its type, and counts output items in order", () => {
    for (const s of f.streams) {
      const events = encode(chunks(s.chunks));
      assert.deepEqual(
        events.map((e) => e.data["sequence_number"]),
        events.map((_, i) => i),
      );
      for (const e of events) assert.equal(e.data["type"], e.event);
      const added = events.filter((e) => e.event === "response.output_item.added");
      assert.deepEqual(
        added.map((e) => e.data["output_index"]),
        added.map((_, i) => i),
      );
    }
  });

  it("streams a refusal as a refusal part of the message", () => {
    const enc = new ResponsesStreamEncoder(ctx);
    const events = [
      ...enc.chunk(create(ChatChunkSchema, { choices: [{ delta: { refusal: "I can" } }] })),
      ...enc.chunk(
        create(ChatChunkSchema, { choices: [{ delta: { refusal: "not." }, finishReason: "stop" }] }),
      ),
      ...enc.done(usage),
    ];
    assert.deepEqual(
      events.map((e) => e.event),
      [
        "response.output_item.added",
        "response.content_part.added",
        "response.refusal.delta",
        "response.refusal.delta",
        "response.refusal.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
      ],
    );
    assert.deepEqual((final(events) as { output: unknown[] }).output, [
      {
        type: "message",
        id: "msg_req1",
        status: "completed",
        role: "assistant",
        content: [{ type: "refusal", refusal: "I cannot." }],
      },
    ]);
  });

  it("adds a late fragment to its call's arguments even after the call closed", () => {
    const call = (index: number, id: string, args: string): ChatChunk =>
      create(ChatChunkSchema, {
        choices: [
          { delta: { toolCalls: [{ index, id, functionName: id ? "f" : "", argumentsJson: args }] } },
        ],
      });
    const events = encode([call(0, "a", '{"x":'), call(1, "b", "{}"), call(0, "", "1}")]);
    const output = (final(events) as { output: { arguments: string }[] }).output;
    assert.deepEqual(
      output.map((o) => o.arguments),
      ['{"x":1}', "{}"],
    );
  });

  it("gives every call its own item id, even when the upstream numbers every call 0", () => {
    const call = (id: string): ChatChunk =>
      create(ChatChunkSchema, {
        choices: [{ delta: { toolCalls: [{ index: 0, id, functionName: "f", argumentsJson: "{}" }] } }],
      });
    const output = (final(encode([call("a"), call("b"), call("c")])) as { output: { id: string }[] }).output;
    assert.equal(new Set(output.map((o) => o.id)).size, 3, JSON.stringify(output.map((o) => o.id)));
  });
});

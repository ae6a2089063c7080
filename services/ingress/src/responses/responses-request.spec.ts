import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { toJson } from "@bufbuild/protobuf";
import { GatewayError } from "@switchyard/common";
import { ChatRequestSchema } from "@switchyard/proto";
import { parseResponsesBody } from "./responses-request.js";

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8")) as T;

interface RequestCase {
  name: string;
  from: string;
  body: unknown;
  stream: boolean;
  canonical: unknown;
  echo: unknown;
}
interface BadCase {
  name: string;
  body: unknown;
  field: string;
  message: string;
}

const refusal = (body: unknown): GatewayError => {
  try {
    parseResponsesBody(body);
  } catch (err) {
    assert.ok(err instanceof GatewayError);
    assert.equal(err.code, "invalid_argument");
    return err;
  }
  assert.fail("expected a validation error");
};

describe("Responses request body", () => {
  describe("conformance: bodies as the SDKs send them → canonical request and echo", () => {
    for (const c of fixture<RequestCase[]>("requests.json")) {
      it(`${c.name} — ${c.from}`, () => {
        const { request, stream, echo } = parseResponsesBody(c.body);
        assert.deepEqual(toJson(ChatRequestSchema, request), c.canonical);
        assert.equal(stream, c.stream);
        assert.deepEqual(echo, c.echo);
      });
    }
  });

  describe("conformance: bad input is a 400 naming the field", () => {
    for (const c of fixture<BadCase[]>("bad-requests.json")) {
      it(`${c.name} → ${c.field}`, () => {
        const err = refusal(c.body);
        assert.equal(err.field, c.field);
        assert.equal(err.message, c.message);
      });
    }
  });

  it("puts instructions first as a system message and a string input as one text user message", () => {
    const { request } = parseResponsesBody({ model: "m", instructions: "be brief", input: "hi" });
    assert.deepEqual(
      request.messages.map((m) => [m.role, m.contentIsText]),
      [
        ["system", true],
        ["user", true],
      ],
    );
  });

  it("joins function calls to the assistant message right before them, and only to it", () => {
    const { request } = parseResponsesBody({
      model: "m",
      input: [
        { role: "user", content: "go" },
        { role: "assistant", content: "calling" },
        { type: "function_call", call_id: "a", name: "f", arguments: "{}" },
        { type: "function_call", call_id: "b", name: "f", arguments: "{}" },
        { type: "function_call_output", call_id: "a", output: "1" },
        { type: "function_call_output", call_id: "b", output: "2" },
        { type: "function_call", call_id: "c", name: "f", arguments: "{}" },
      ],
    });
    assert.deepEqual(
      request.messages.map((m) => [m.role, m.toolCalls.map((c) => c.id).join(",")]),
      [
        ["user", ""],
        ["assistant", "a,b"],
        ["tool", ""],
        ["tool", ""],
        ["assistant", "c"],
      ],
    );
  });

  it("gives reasoning to the next assistant turn, from summaries when there is no reasoning text", () => {
    const { request } = parseResponsesBody({
      model: "m",
      input: [
        { role: "user", content: "q" },
        {
          type: "reasoning",
          summary: [
            { type: "summary_text", text: "one" },
            { type: "summary_text", text: "two" },
          ],
        },
        { type: "function_call", call_id: "a", name: "f", arguments: "{}" },
        { type: "reasoning", content: [{ type: "reasoning_text", text: "lost" }] },
        { role: "user", content: "next" },
      ],
    });
    assert.equal(request.messages[1]?.reasoningContent, "one\n\ntwo");
    // Reasoning with no answer after it has no turn to go with.
    assert.deepEqual(
      request.messages.map((m) => m.reasoningContent),
      ["", "one\n\ntwo", ""],
    );
  });

  it("maps image detail original to high, tool output parts, and ignores unknown fields", () => {
    const { request } = parseResponsesBody({
      model: "m",
      some_future_field: { x: 1 },
      input: [
        {
          role: "user",
          content: [{ type: "input_image", image_url: "https://x/a.png", detail: "original" }],
        },
        { type: "function_call", call_id: "a", name: "f", arguments: "{}" },
        {
          type: "function_call_output",
          call_id: "a",
          output: [
            { type: "input_text", text: "see" },
            { type: "input_image", image_url: "https://x/b.png" },
          ],
        },
      ],
    });
    const image = request.messages[0]?.content[0]?.part;
    assert.equal(image?.case === "imageUrl" && image.value.detail, "high");
    assert.deepEqual(
      request.messages[2]?.content.map((p) => p.part.case),
      ["text", "imageUrl"],
    );
  });

  it("accepts store, include and truncation without changing the request", () => {
    const plain = parseResponsesBody({ model: "m", input: "x" }).request;
    const extra = parseResponsesBody({
      model: "m",
      input: "x",
      store: true,
      include: ["reasoning.encrypted_content", "message.output_text.logprobs"],
      truncation: "auto",
      stream_options: { include_obfuscation: true },
      service_tier: "flex",
      background: false,
      previous_response_id: null,
      top_logprobs: 0,
    }).request;
    assert.deepEqual(toJson(ChatRequestSchema, extra), toJson(ChatRequestSchema, plain));
  });
});

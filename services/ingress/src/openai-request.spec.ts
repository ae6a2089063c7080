import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GatewayError } from "@switchyard/common";
import { parseChatBody, parseEmbedBody } from "./openai-request.js";

const fieldOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof GatewayError);
    assert.equal(err.code, "invalid_argument");
    return err.field;
  }
  assert.fail("expected a validation error");
};

describe("OpenAI chat body", () => {
  it("maps messages, content parts, tools, tool calls and response format", () => {
    const { request, stream } = parseChatBody({
      model: "m",
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: "system", content: "be brief" },
        {
          role: "user",
          content: [
            { type: "text", text: "what is this?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,AAAA", detail: "low" } },
          ],
        },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: '{"a":1}' } }],
        },
        { role: "tool", tool_call_id: "c1", content: "42" },
      ],
      tools: [
        {
          type: "function",
          function: { name: "f", parameters: { type: "object", properties: { a: { type: "number" } } } },
        },
      ],
      tool_choice: { type: "function", function: { name: "f" } },
      response_format: {
        type: "json_schema",
        json_schema: { name: "s", schema: { type: "object" }, strict: true },
      },
      max_tokens: 50,
      stop: "END",
      seed: 7,
    });
    assert.equal(stream, true);
    assert.equal(request.includeUsage, true);
    assert.equal(request.messages.length, 4);
    assert.equal(request.messages[0]?.contentIsText, true);
    assert.equal(request.messages[1]?.content[1]?.part.case, "imageUrl");
    assert.equal(request.messages[2]?.toolCalls[0]?.argumentsJson, '{"a":1}');
    assert.equal(request.messages[3]?.toolCallId, "c1");
    assert.deepEqual(JSON.parse(request.tools[0]?.function?.parametersJson ?? ""), {
      type: "object",
      properties: { a: { type: "number" } },
    });
    assert.deepEqual([request.toolChoice?.mode, request.toolChoice?.functionName], ["function", "f"]);
    assert.equal(request.responseFormat?.type, "json_schema");
    assert.equal(request.responseFormat?.strict, true);
    assert.equal(request.maxTokens, 50);
    assert.deepEqual(request.stop, ["END"]);
    assert.equal(request.seed, 7n);
  });

  it("prefers max_completion_tokens over max_tokens", () => {
    assert.equal(
      parseChatBody({
        model: "m",
        messages: [{ role: "user", content: "x" }],
        max_tokens: 5,
        max_completion_tokens: 9,
      }).request.maxTokens,
      9,
    );
  });

  it("names the offending field", () => {
    assert.equal(
      fieldOf(() => parseChatBody({ messages: [{ role: "user", content: "x" }] })),
      "model",
    );
    assert.equal(
      fieldOf(() => parseChatBody({ model: "m", messages: [] })),
      "messages",
    );
    assert.equal(
      fieldOf(() => parseChatBody({ model: "m", messages: [{ role: "robot", content: "x" }] })),
      "messages[0].role",
    );
    assert.equal(
      fieldOf(() =>
        parseChatBody({
          model: "m",
          messages: [{ role: "user", content: [{ type: "image_url", image_url: {} }] }],
        }),
      ),
      "messages[0].content[0].image_url.url",
    );
    assert.equal(
      fieldOf(() =>
        parseChatBody({ model: "m", messages: [{ role: "user", content: "x" }], temperature: 3 }),
      ),
      "temperature",
    );
    assert.equal(
      fieldOf(() => parseChatBody({ model: "m", messages: [{ role: "tool", content: "x" }] })),
      "messages[0].tool_call_id",
    );
  });
});

describe("OpenAI embeddings body", () => {
  it("accepts a string or a list of strings", () => {
    assert.deepEqual(parseEmbedBody({ model: "e", input: "a" }).input, ["a"]);
    assert.deepEqual(parseEmbedBody({ model: "e", input: ["a", "b"] }).input, ["a", "b"]);
    assert.equal(
      fieldOf(() => parseEmbedBody({ model: "e", input: 3 })),
      "input",
    );
  });

  it("accepts token ids, one input or a list of them, as the texts they encode (cl100k_base)", () => {
    assert.deepEqual(parseEmbedBody({ model: "e", input: [15339, 1917] }).input, ["hello world"]);
    assert.deepEqual(parseEmbedBody({ model: "e", input: [[15339], [1917]] }).input, ["hello", " world"]);
    assert.equal(
      fieldOf(() => parseEmbedBody({ model: "e", input: [[15339], [99999999]] })),
      "input[1]",
    );
    assert.equal(
      fieldOf(() => parseEmbedBody({ model: "e", input: [1.5] })),
      "input[0]",
    );
    assert.equal(
      fieldOf(() => parseEmbedBody({ model: "e", input: [] })),
      "input",
    );
  });
});

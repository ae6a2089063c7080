import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { GatewayError } from "@switchyard/common";
import { ChatRequestSchema, EmbedRequestSchema } from "@switchyard/proto";
import { checkChatRequest, checkEmbedRequest } from "./canonical-request.js";

const user = { role: "user", content: [{ part: { case: "text" as const, value: "hi" } }] };
const fieldOf = (fn: () => void): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof GatewayError && err.code === "invalid_argument", String(err));
    return err.field;
  }
  return "";
};

describe("canonical request checks (both doors)", () => {
  it("refuses chats the upstream cannot take, naming the field", () => {
    const chat = (init: object) => () =>
      checkChatRequest(create(ChatRequestSchema, { model: "m", messages: [user], ...init }));
    assert.equal(fieldOf(chat({})), "");
    assert.equal(fieldOf(chat({ messages: [] })), "messages");
    assert.equal(fieldOf(chat({ model: "" })), "model");
    assert.equal(fieldOf(chat({ messages: [{ ...user, role: "wizard" }] })), "messages[0].role");
    assert.equal(fieldOf(chat({ messages: [{ ...user, role: "tool" }] })), "messages[0].tool_call_id");
    assert.equal(fieldOf(chat({ messages: [{ role: "user", content: [{}] }] })), "messages[0].content[0]");
    assert.equal(fieldOf(chat({ temperature: 3 })), "temperature");
    assert.equal(fieldOf(chat({ temperature: Number.NaN })), "temperature");
    assert.equal(fieldOf(chat({ n: 2 })), "n");
    assert.equal(fieldOf(chat({ maxTokens: 0 })), "max_tokens");
    assert.equal(fieldOf(chat({ stop: Array.from({ length: 65 }, (_, i) => `s${i}`) })), "stop");
    assert.equal(
      fieldOf(chat({ tools: [{ type: "function", function: { name: "bad name" } }] })),
      "tools[0].function.name",
    );
    assert.equal(fieldOf(chat({ reasoningEffort: "extreme" })), "reasoning_effort");
    // OpenAI's whole scale, as its SDK types it, is taken.
    for (const effort of ["none", "minimal", "low", "medium", "high", "xhigh", "max"])
      checkChatRequest(create(ChatRequestSchema, { model: "m", messages: [user], reasoningEffort: effort }));
  });

  it("refuses embeddings with no input or absurd dimensions", () => {
    const embed = (init: object) => () =>
      checkEmbedRequest(create(EmbedRequestSchema, { model: "m", input: ["x"], ...init }));
    assert.equal(fieldOf(embed({})), "");
    assert.equal(fieldOf(embed({ input: [] })), "input");
    assert.equal(fieldOf(embed({ dimensions: 4_000_000_000 })), "dimensions");
    assert.equal(fieldOf(embed({ encodingFormat: "hex" })), "encoding_format");
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { ChatRequestSchema, EmbedRequestSchema } from "@switchyard/proto";
import { jsonModeRequest, target, toolConversation } from "../testing/requests.js";
import {
  decodeAllSplits,
  readFixture,
  readJsonFixture,
  toolCallsOf,
  usageJson,
} from "../testing/stream-feed.js";
import { mistral } from "./mistral.js";
import { mistralToolCallId } from "./tool-call-id.js";

const t = target({ baseUrl: "https://api.mistral.ai/v1", upstreamModel: "mistral-large-latest" });

describe("mistral request", () => {
  it("uses any, max_tokens, random_seed and 9-character tool call ids", async () => {
    const req = toolConversation();
    req.seed = 7n;
    req.user = "u1";
    const out = await mistral.buildRequest(req, t, true);
    assert.equal(out.url, "https://api.mistral.ai/v1/chat/completions");
    assert.equal(out.headers["authorization"], "Bearer sk-test");
    const body = JSON.parse(out.body) as Record<string, unknown>;
    assert.equal(body["tool_choice"], "any");
    assert.equal(body["max_tokens"], 256);
    assert.equal(body["max_completion_tokens"], undefined);
    assert.equal(body["random_seed"], 7);
    assert.equal(body["seed"], undefined);
    assert.equal(body["stream_options"], undefined);
    assert.equal(body["user"], undefined);
    const messages = body["messages"] as Record<string, unknown>[];
    const id = mistralToolCallId("call_abc123");
    assert.match(id, /^[a-zA-Z0-9]{9}$/);
    assert.deepEqual((messages[2]?.["tool_calls"] as { id: string }[])[0]?.id, id);
    assert.equal(messages[3]?.["tool_call_id"], id);
    assert.deepEqual((messages[1]?.["content"] as unknown[])[2], {
      type: "image_url",
      image_url: "https://example.com/photo.jpg",
    });
  });

  it("keeps Mistral's own ids and maps JSON mode", async () => {
    assert.equal(mistralToolCallId("D681PevKs"), "D681PevKs");
    const body = JSON.parse(
      (await mistral.buildRequest(jsonModeRequest("json_object"), t, false)).body,
    ) as Record<string, unknown>;
    assert.deepEqual(body["response_format"], { type: "json_object" });
  });

  it("rejects part types it cannot map", async () => {
    const req = create(ChatRequestSchema, {
      messages: [
        { role: "user", content: [{ part: { case: "inputAudio", value: { data: "AA==", format: "wav" } } }] },
      ],
    });
    await assert.rejects(mistral.buildRequest(req, t, false), {
      code: "invalid_argument",
      field: "messages[0].content[0]",
    });
  });

  it("sends embeddings without OpenAI-only fields", async () => {
    const req = await mistral.embeddings?.buildRequest(
      create(EmbedRequestSchema, { input: ["hi"], dimensions: 256 }),
      t,
    );
    assert.deepEqual(JSON.parse(req?.body ?? "{}"), {
      model: "mistral-large-latest",
      input: ["hi"],
      output_dimension: 256,
    });
  });
});

describe("mistral stream", () => {
  it("decodes whole tool calls in one delta and usage on the last chunk", () => {
    const { chunks, usage, finishReason } = decodeAllSplits(
      () => mistral.createStreamDecoder(),
      readFixture(new URL("./fixtures/tool-stream.sse", import.meta.url)),
    );
    assert.deepEqual(toolCallsOf(chunks), [
      { index: 0, id: "D681PevKs", name: "get_weather", args: '{"city": "Besançon"}' },
      { index: 1, id: "x7Kq2LmP9", name: "get_weather", args: '{"city": "Lyon"}' },
    ]);
    assert.equal(finishReason, "tool_calls");
    assert.deepEqual(usageJson(usage), {
      promptTokens: 91,
      completionTokens: 36,
      totalTokens: 127,
      cachedTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
      audioPromptTokens: 0,
      audioCompletionTokens: 0,
      cacheWrite1hTokens: 0,
    });
  });
});

describe("mistral errors", () => {
  it("maps a 422 validation error to invalid_argument with the details", () => {
    const err = mistral.mapError(
      422,
      readJsonFixture(new URL("./fixtures/error-422.json", import.meta.url)),
      new Headers(),
    );
    assert.equal(err.code, "invalid_argument");
    assert.match(err.message, /Extra inputs are not permitted/);
  });
});

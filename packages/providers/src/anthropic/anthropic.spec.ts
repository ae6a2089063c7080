import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import type { GatewayError } from "@switchyard/common";
import { ChatRequestSchema } from "@switchyard/proto";
import { jsonModeRequest, target, toolConversation, WEATHER_PARAMS } from "../testing/requests.js";
import {
  assertCutStreamThrows,
  contentOf,
  decodeAllSplits,
  readFixture,
  readJsonFixture,
  reasoningOf,
  toolCallsOf,
  usageJson,
} from "../testing/stream-feed.js";
import { anthropic } from "./anthropic.js";
import { JSON_TOOL_NAME } from "./json-mode.js";

const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);
const t = target({ baseUrl: "http://127.0.0.1:9700/anthropic/v1", upstreamModel: "claude-sonnet-4-5" });

async function body(req = toolConversation(), stream = false): Promise<Record<string, unknown>> {
  return JSON.parse((await anthropic.buildRequest(req, t, stream)).body) as Record<string, unknown>;
}

describe("anthropic request", () => {
  it("sets URL and headers, defaulting anthropic-version", async () => {
    const req = await anthropic.buildRequest(toolConversation(), t, true);
    assert.equal(req.url, "http://127.0.0.1:9700/anthropic/v1/messages");
    assert.equal(req.headers["x-api-key"], "sk-test");
    assert.equal(req.headers["anthropic-version"], "2023-06-01");
    const custom = await anthropic.buildRequest(
      toolConversation(),
      { ...t, apiVersion: "2024-01-01" },
      false,
    );
    assert.equal(custom.headers["anthropic-version"], "2024-01-01");
  });

  it("lifts system, maps images, tool_use and tool_result turns, tools and tool_choice", async () => {
    assert.deepEqual(await body(), {
      model: "claude-sonnet-4-5",
      temperature: 0.2,
      system: [{ type: "text", text: "You are terse." }],
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Weather where this photo was taken?" },
            { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
            { type: "image", source: { type: "url", url: "https://example.com/photo.jpg" } },
          ],
        },
        {
          role: "assistant",
          content: [{ type: "tool_use", id: "call_abc123", name: "get_weather", input: { city: "Paris" } }],
        },
        {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: "call_abc123", content: '{"temp_c":21}' }],
        },
      ],
      max_tokens: 256,
      stop_sequences: ["END"],
      tools: [{ name: "get_weather", description: "Current weather", input_schema: WEATHER_PARAMS }],
      tool_choice: { type: "any", disable_parallel_tool_use: true },
    });
  });

  it("defaults max_tokens and merges consecutive tool results into one user turn", async () => {
    const req = create(ChatRequestSchema, {
      messages: [
        { role: "user", content: [{ part: { case: "text", value: "two cities" } }] },
        {
          role: "assistant",
          toolCalls: [
            { id: "toolu_1", functionName: "w", argumentsJson: '{"city":"A"}' },
            { id: "toolu_2", functionName: "w", argumentsJson: '{"city":"B"}' },
          ],
        },
        { role: "tool", toolCallId: "toolu_1", content: [{ part: { case: "text", value: "1" } }] },
        { role: "tool", toolCallId: "toolu_2", content: [{ part: { case: "text", value: "2" } }] },
      ],
      tools: [{ type: "function", function: { name: "w", parametersJson: "{}" } }],
      toolChoice: { mode: "none" },
    });
    const b = await body(req);
    assert.equal(b["max_tokens"], 4096);
    assert.deepEqual(b["tool_choice"], { type: "none" });
    const messages = b["messages"] as { role: string; content: unknown[] }[];
    assert.equal(messages.length, 3);
    assert.deepEqual(messages[2], {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "toolu_1", content: "1" },
        { type: "tool_result", tool_use_id: "toolu_2", content: "2" },
      ],
    });
  });

  it("makes JSON mode a forced tool carrying the schema", async () => {
    const b = await body(jsonModeRequest("json_schema"));
    assert.deepEqual(b["tool_choice"], { type: "tool", name: JSON_TOOL_NAME });
    assert.deepEqual((b["tools"] as { input_schema: unknown }[])[0]?.input_schema, {
      type: "object",
      properties: { name: { type: "string" } },
    });
  });

  it("falls back to a system instruction for JSON mode when the client has tools", async () => {
    const req = toolConversation();
    req.responseFormat = create(ChatRequestSchema, {
      responseFormat: { type: "json_object" },
    }).responseFormat;
    const b = await body(req);
    assert.ok(!(b["tools"] as { name: string }[]).some((x) => x.name === JSON_TOOL_NAME));
    assert.match(JSON.stringify(b["system"]), /valid JSON object/);
  });

  it("maps reasoning_effort to a thinking budget inside max_tokens, dropping temperature", async () => {
    const req = toolConversation();
    req.reasoningEffort = "medium";
    req.maxTokens = 8000;
    req.toolChoice = undefined;
    const b = await body(req);
    assert.deepEqual(b["thinking"], { type: "enabled", budget_tokens: 4096 });
    assert.equal(b["max_tokens"], 8000);
    assert.equal(b["temperature"], undefined);
  });

  it("rejects audio input", async () => {
    const req = create(ChatRequestSchema, {
      messages: [
        { role: "user", content: [{ part: { case: "inputAudio", value: { data: "AA==", format: "wav" } } }] },
      ],
    });
    await assert.rejects(anthropic.buildRequest(req, t, false), { code: "invalid_argument" });
  });
});

describe("anthropic response", () => {
  it("parses text and tool_use with cache read/write usage, one-hour writes apart", () => {
    const { response, usage } = anthropic.parseResponse(200, readJsonFixture(fixture("tool-use.json")));
    const choice = response.choices[0];
    assert.equal(response.id, "msg_01Aq9w938a90dw8q");
    assert.equal(choice?.finishReason, "tool_calls");
    assert.equal(choice?.message?.content[0]?.part.value, "I'll check the weather.");
    assert.equal(choice?.message?.contentIsText, true);
    assert.deepEqual(
      choice?.message?.toolCalls.map((c) => [c.id, c.functionName, JSON.parse(c.argumentsJson) as unknown]),
      [["toolu_01A09q90qw90lq917835lq9", "get_weather", { city: "San Francisco", unit: "c" }]],
    );
    assert.deepEqual(usageJson(usage), {
      promptTokens: 2095 + 1024 + 4096,
      completionTokens: 503,
      totalTokens: 2095 + 1024 + 4096 + 503,
      cachedTokens: 4096,
      cacheWriteTokens: 1024,
      reasoningTokens: 0,
      audioPromptTokens: 0,
      audioCompletionTokens: 0,
      cacheWrite1hTokens: 768,
    });
  });

  it("turns the JSON-mode tool call back into message text", () => {
    const { response } = anthropic.parseResponse(200, {
      id: "msg_j",
      model: "claude-haiku-4-5",
      content: [{ type: "tool_use", id: "toolu_j", name: JSON_TOOL_NAME, input: { name: "Kraków" } }],
      stop_reason: "tool_use",
      usage: { input_tokens: 5, output_tokens: 7 },
    });
    assert.equal(response.choices[0]?.message?.content[0]?.part.value, '{"name":"Kraków"}');
    assert.equal(response.choices[0]?.message?.toolCalls.length, 0);
    assert.equal(response.choices[0]?.finishReason, "stop");
  });
});

describe("anthropic stream", () => {
  it("decodes thinking and text with multi-byte characters under any split", () => {
    const { chunks, usage, finishReason } = decodeAllSplits(
      () => anthropic.createStreamDecoder(),
      readFixture(fixture("thinking-text-stream.sse")),
    );
    assert.deepEqual(chunks[0]?.choices[0]?.delta?.role, "assistant");
    assert.equal(chunks[0]?.id, "msg_01ThinkAbc");
    assert.equal(reasoningOf(chunks), "Déterminons la réponse… ");
    assert.equal(contentOf(chunks), "Voilà : naïve café 🚀");
    assert.equal(chunks.at(-1)?.choices[0]?.finishReason, "stop");
    assert.equal(finishReason, "stop");
    assert.deepEqual(
      [
        usage.promptTokens,
        usage.cachedTokens,
        usage.cacheWriteTokens,
        usage.cacheWrite1hTokens,
        usage.completionTokens,
      ],
      [21 + 1500 + 188, 1500, 188, 128, 15],
    );
  });

  it("gives parallel tool_use blocks distinct indexes", () => {
    const { chunks, finishReason } = decodeAllSplits(
      () => anthropic.createStreamDecoder(),
      readFixture(fixture("parallel-tools-stream.sse")),
    );
    assert.equal(contentOf(chunks), "Checking both cities.");
    assert.deepEqual(toolCallsOf(chunks), [
      {
        index: 0,
        id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
        name: "get_weather",
        args: '{"city": "San Francisco"}',
      },
      { index: 1, id: "toolu_01HnGq7fQbYxJ9tZ2rP4mK8s", name: "get_weather", args: '{"city": "São Paulo"}' },
    ]);
    assert.equal(finishReason, "tool_calls");
  });

  it("streams the JSON-mode tool input as content", () => {
    const { chunks, finishReason } = decodeAllSplits(
      () => anthropic.createStreamDecoder(),
      readFixture(fixture("json-tool-stream.sse")),
    );
    assert.equal(contentOf(chunks), '{"name": "Kraków"}');
    assert.deepEqual(toolCallsOf(chunks), []);
    assert.equal(finishReason, "stop");
  });

  it("throws when the stream ends before message_stop", () => {
    const text = new TextDecoder().decode(readFixture(fixture("parallel-tools-stream.sse")));
    assertCutStreamThrows(
      () => anthropic.createStreamDecoder(),
      new TextEncoder().encode(text.slice(0, text.indexOf("event: message_stop"))),
    );
  });

  it("throws a retryable upstream_error on an error event", () => {
    const d = anthropic.createStreamDecoder();
    assert.throws(
      () => d.push(readFixture(fixture("overloaded-stream.sse"))),
      (err: GatewayError) => err.code === "upstream_error" && err.retryable && /Overloaded/.test(err.message),
    );
  });
});

describe("anthropic errors", () => {
  it("maps 529 overloaded to a retryable upstream_error", () => {
    const err = anthropic.mapError(529, readJsonFixture(fixture("error-529.json")), new Headers());
    assert.deepEqual([err.code, err.retryable, err.upstreamStatus], ["upstream_error", true, 529]);
    assert.match(err.message, /Overloaded/);
  });

  it("maps 429 with Retry-After seconds", () => {
    const err = anthropic.mapError(
      429,
      readJsonFixture(fixture("error-429.json")),
      new Headers({ "retry-after": "17" }),
    );
    assert.deepEqual([err.code, err.retryAfterMs], ["rate_limited", 17_000]);
  });

  it("maps 400 to invalid_argument with Anthropic's message", () => {
    const err = anthropic.mapError(400, readJsonFixture(fixture("error-400.json")), new Headers());
    assert.equal(err.code, "invalid_argument");
    assert.match(err.message, /unexpected `tool_use_id`/);
  });
});

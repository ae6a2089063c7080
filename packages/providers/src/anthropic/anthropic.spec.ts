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
  reasoningSequence,
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

  it("maps the ends of the effort scale: none is no thinking, max a budget within Claude's limits", async () => {
    const req = toolConversation();
    req.toolChoice = undefined;
    req.maxTokens = undefined;
    req.reasoningEffort = "none";
    assert.equal((await body(req))["thinking"], undefined);
    req.reasoningEffort = "max";
    const b = await body(req);
    assert.deepEqual(b["thinking"], { type: "enabled", budget_tokens: 24576 });
    assert.ok(Number(b["max_tokens"]) <= 32_000);
  });

  it("passes the client's anthropic-version and anthropic-beta headers through", async () => {
    const req = toolConversation();
    req.anthropicVersion = "2023-06-01-client";
    req.anthropicBeta = ["interleaved-thinking-2025-05-14", "context-1m-2025-08-07"];
    const built = await anthropic.buildRequest(req, { ...t, apiVersion: "2024-01-01" }, true);
    assert.equal(built.headers["anthropic-version"], "2023-06-01-client");
    assert.equal(built.headers["anthropic-beta"], "interleaved-thinking-2025-05-14,context-1m-2025-08-07");
    const plain = await anthropic.buildRequest(toolConversation(), t, true);
    assert.equal(plain.headers["anthropic-beta"], undefined);
    assert.ok(!("anthropic_version" in JSON.parse(plain.body)));
  });

  it("places cache_control on system parts, content parts, tool results, assistant turns and tools", async () => {
    const eph = { type: "ephemeral" };
    const hour = { type: "ephemeral", ttl: "1h" };
    const req = create(ChatRequestSchema, {
      messages: [
        {
          role: "system",
          content: [
            { part: { case: "text", value: "You are Claude Code." } },
            { part: { case: "text", value: "" } },
            { part: { case: "text", value: "Big instructions." }, cacheControl: hour },
          ],
        },
        {
          role: "user",
          content: [
            { part: { case: "text", value: "<context>" }, cacheControl: eph },
            { part: { case: "text", value: "list files" } },
          ],
        },
        {
          role: "assistant",
          content: [{ part: { case: "text", value: "Listing." } }],
          toolCalls: [{ id: "toolu_1", functionName: "ls", argumentsJson: "{}" }],
          cacheControl: eph,
        },
        {
          role: "tool",
          toolCallId: "toolu_1",
          content: [{ part: { case: "text", value: "no such dir" } }],
          toolError: true,
          cacheControl: hour,
        },
        {
          role: "tool",
          toolCallId: "toolu_2",
          content: [{ part: { case: "text", value: "a.txt" }, cacheControl: eph }],
        },
        { role: "user", content: [{ part: { case: "text", value: "next" } }], cacheControl: eph },
      ],
      tools: [
        { type: "function", function: { name: "ls", parametersJson: "{}" } },
        { type: "function", function: { name: "cat", parametersJson: "{}" }, cacheControl: eph },
      ],
      topK: 40,
      temperature: 0.5,
    });
    const b = await body(req);
    assert.deepEqual(b["system"], [
      { type: "text", text: "You are Claude Code." },
      { type: "text", text: "Big instructions.", cache_control: { type: "ephemeral", ttl: "1h" } },
    ]);
    assert.deepEqual(b["messages"], [
      {
        role: "user",
        content: [
          { type: "text", text: "<context>", cache_control: { type: "ephemeral" } },
          { type: "text", text: "list files" },
        ],
      },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Listing." },
          { type: "tool_use", id: "toolu_1", name: "ls", input: {}, cache_control: { type: "ephemeral" } },
        ],
      },
      {
        role: "user",
        content: [
          {
            type: "tool_result",
            tool_use_id: "toolu_1",
            content: "no such dir",
            is_error: true,
            cache_control: { type: "ephemeral", ttl: "1h" },
          },
          {
            type: "tool_result",
            tool_use_id: "toolu_2",
            content: [{ type: "text", text: "a.txt", cache_control: { type: "ephemeral" } }],
          },
          { type: "text", text: "next", cache_control: { type: "ephemeral" } },
        ],
      },
    ]);
    assert.deepEqual(b["tools"], [
      { name: "ls", input_schema: {} },
      { name: "cat", input_schema: {}, cache_control: { type: "ephemeral" } },
    ]);
    assert.equal(b["top_k"], 40);
    assert.equal(b["temperature"], 0.5);
  });

  it("sends signed thinking and redacted thinking back, and drops unsigned reasoning", async () => {
    const req = create(ChatRequestSchema, {
      messages: [
        { role: "user", content: [{ part: { case: "text", value: "weather?" } }] },
        {
          role: "assistant",
          reasoningContent: "Need the tool.",
          reasoningSignature: "EqQBsig",
          redactedReasoning: ["EmwKAhgBEgy3va3p"],
          toolCalls: [{ id: "toolu_1", functionName: "w", argumentsJson: '{"city":"Oslo"}' }],
          cacheControl: { type: "ephemeral" },
        },
        { role: "tool", toolCallId: "toolu_1", content: [{ part: { case: "text", value: "4°C" } }] },
        {
          role: "assistant",
          reasoningContent: "From another upstream.",
          content: [{ part: { case: "text", value: "Cold." } }],
        },
        { role: "user", content: [{ part: { case: "text", value: "thanks" } }] },
      ],
      tools: [{ type: "function", function: { name: "w", parametersJson: "{}" } }],
    });
    const messages = (await body(req))["messages"] as { role: string; content: unknown[] }[];
    assert.deepEqual(messages[1]?.content, [
      { type: "thinking", thinking: "Need the tool.", signature: "EqQBsig" },
      { type: "redacted_thinking", data: "EmwKAhgBEgy3va3p" },
      {
        type: "tool_use",
        id: "toolu_1",
        name: "w",
        input: { city: "Oslo" },
        cache_control: { type: "ephemeral" },
      },
    ]);
    assert.deepEqual(messages[3]?.content, [{ type: "text", text: "Cold." }]);
  });

  it("maps thinking_budget_tokens to thinking, winning over reasoning_effort, within max_tokens", async () => {
    const req = create(ChatRequestSchema, {
      messages: [{ role: "user", content: [{ part: { case: "text", value: "hi" } }] }],
      thinkingBudgetTokens: 10000,
      reasoningEffort: "low",
      maxTokens: 32000,
      temperature: 1,
      topK: 5,
    });
    let b = await body(req);
    assert.deepEqual(b["thinking"], { type: "enabled", budget_tokens: 10000 });
    assert.equal(b["max_tokens"], 32000);
    assert.equal(b["temperature"], undefined);
    assert.equal(b["top_k"], undefined);

    req.maxTokens = 8000; // budget must stay below max_tokens
    assert.deepEqual((await body(req))["thinking"], { type: "enabled", budget_tokens: 7999 });
    req.maxTokens = undefined; // room for the answer on top of the budget
    b = await body(req);
    assert.deepEqual(b["thinking"], { type: "enabled", budget_tokens: 10000 });
    assert.equal(b["max_tokens"], 10000 + 4096);
    req.maxTokens = 1024; // no room for the 1024 minimum: no thinking
    b = await body(req);
    assert.equal(b["thinking"], undefined);
    assert.equal(b["top_k"], 5);
    req.maxTokens = 4000;
    req.thinkingBudgetTokens = 0; // explicitly off, even with an effort
    assert.equal((await body(req))["thinking"], undefined);
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

  it("returns thinking as reasoning with its signature, redacted thinking, and the stop sequence", () => {
    const { response } = anthropic.parseResponse(200, readJsonFixture(fixture("tool-use.json")));
    const m = response.choices[0]?.message;
    assert.equal(m?.reasoningContent, "The user wants weather.");
    assert.equal(m?.reasoningSignature, "EqQBCgIYAhIM");
    assert.equal(response.choices[0]?.stopSequence, "");

    const stopped = anthropic.parseResponse(200, {
      id: "msg_s",
      model: "claude-sonnet-4-5",
      content: [
        { type: "thinking", thinking: "First… ", signature: "" },
        { type: "redacted_thinking", data: "EmwKAhgBEgy3va3p" },
        { type: "thinking", thinking: "then.", signature: "EqSig2" },
        { type: "text", text: "1, 2, 3" },
      ],
      stop_reason: "stop_sequence",
      stop_sequence: "4",
      usage: { input_tokens: 5, output_tokens: 7 },
    }).response.choices[0];
    assert.equal(stopped?.finishReason, "stop");
    assert.equal(stopped?.stopSequence, "4");
    assert.equal(stopped?.message?.reasoningContent, "First… then.");
    assert.equal(stopped?.message?.reasoningSignature, "EqSig2");
    assert.deepEqual(stopped?.message?.redactedReasoning, ["EmwKAhgBEgy3va3p"]);
    assert.equal(stopped?.message?.content[0]?.part.value, "1, 2, 3");
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
    // The role chunk carries the prompt side of the usage, known from message_start.
    const promptSide = chunks[0]?.usage;
    assert.ok(promptSide !== undefined);
    assert.deepEqual(usageJson(promptSide), {
      promptTokens: 21 + 1500 + 188,
      completionTokens: 0,
      totalTokens: 21 + 1500 + 188,
      cachedTokens: 1500,
      cacheWriteTokens: 188,
      reasoningTokens: 0,
      audioPromptTokens: 0,
      audioCompletionTokens: 0,
      cacheWrite1hTokens: 128,
    });
    assert.ok(chunks.slice(1).every((c) => c.usage === undefined));
    assert.equal(reasoningOf(chunks), "Déterminons la réponse… ");
    const signatures = chunks.flatMap((c) => c.choices[0]?.delta?.reasoningSignature ?? []);
    assert.deepEqual(signatures, ["EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"]);
    assert.equal(chunks.at(-1)?.choices[0]?.stopSequence, "");
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

  it("puts the stop sequence on the finishing chunk", () => {
    const sse = [
      `event: message_start\ndata: {"type":"message_start","message":{"id":"msg_s","model":"claude-haiku-4-5","usage":{"input_tokens":9,"output_tokens":1}}}`,
      `event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
      `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"1, 2, 3, "}}`,
      `event: content_block_stop\ndata: {"type":"content_block_stop","index":0}`,
      `event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"stop_sequence","stop_sequence":"4"},"usage":{"output_tokens":6}}`,
      `event: message_stop\ndata: {"type":"message_stop"}`,
    ].join("\n\n");
    const { chunks, usage, finishReason } = decodeAllSplits(
      () => anthropic.createStreamDecoder(),
      new TextEncoder().encode(`${sse}\n\n`),
    );
    assert.equal(finishReason, "stop");
    assert.deepEqual(
      [chunks.at(-1)?.choices[0]?.finishReason, chunks.at(-1)?.choices[0]?.stopSequence],
      ["stop", "4"],
    );
    assert.deepEqual([chunks[0]?.usage?.promptTokens, chunks[0]?.usage?.completionTokens], [9, 0]);
    assert.deepEqual([usage.promptTokens, usage.completionTokens], [9, 6]);
  });

  it("passes a streamed redacted_thinking block on whole, after the signed thinking", () => {
    const sse = [
      `event: message_start\ndata: {"type":"message_start","message":{"id":"msg_r","model":"claude-sonnet-4-5","usage":{"input_tokens":9,"output_tokens":1}}}`,
      `event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}`,
      `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Hmm."}}`,
      `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"c2ln"}}`,
      `event: content_block_stop\ndata: {"type":"content_block_stop","index":0}`,
      `event: content_block_start\ndata: {"type":"content_block_start","index":1,"content_block":{"type":"redacted_thinking","data":"EmwKAhgBEgy3va3p"}}`,
      `event: content_block_stop\ndata: {"type":"content_block_stop","index":1}`,
      `event: content_block_start\ndata: {"type":"content_block_start","index":2,"content_block":{"type":"text","text":""}}`,
      `event: content_block_delta\ndata: {"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"Yes."}}`,
      `event: content_block_stop\ndata: {"type":"content_block_stop","index":2}`,
      `event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":6}}`,
      `event: message_stop\ndata: {"type":"message_stop"}`,
    ].join("\n\n");
    const { chunks } = decodeAllSplits(
      () => anthropic.createStreamDecoder(),
      new TextEncoder().encode(`${sse}\n\n`),
    );
    assert.deepEqual(reasoningSequence(chunks), [
      "thinking:Hmm.",
      "signature:c2ln",
      "redacted:EmwKAhgBEgy3va3p",
      "text:Yes.",
    ]);
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

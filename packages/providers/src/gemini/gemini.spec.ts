import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { ChatRequestSchema, EmbedRequestSchema } from "@switchyard/proto";
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
import { gemini } from "./gemini.js";

const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);
const t = target({
  baseUrl: "https://generativelanguage.googleapis.com/v1beta",
  upstreamModel: "gemini-2.5-flash",
  apiKey: "AIza-test",
});

async function body(req = toolConversation()): Promise<Record<string, unknown>> {
  return JSON.parse((await gemini.buildRequest(req, t, false)).body) as Record<string, unknown>;
}

describe("gemini request", () => {
  it("uses generateContent, streamGenerateContent?alt=sse and x-goog-api-key", async () => {
    const unary = await gemini.buildRequest(toolConversation(), t, false);
    assert.equal(
      unary.url,
      "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent",
    );
    assert.equal(unary.headers["x-goog-api-key"], "AIza-test");
    const stream = await gemini.buildRequest(toolConversation(), t, true);
    assert.equal(
      stream.url,
      "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
    );
  });

  it("maps system, images, function calls, named function responses, tools and config", async () => {
    assert.deepEqual(await body(), {
      contents: [
        {
          role: "user",
          parts: [
            { text: "Weather where this photo was taken?" },
            { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } },
            { fileData: { mimeType: "image/jpeg", fileUri: "https://example.com/photo.jpg" } },
          ],
        },
        { role: "model", parts: [{ functionCall: { name: "get_weather", args: { city: "Paris" } } }] },
        { role: "user", parts: [{ functionResponse: { name: "get_weather", response: { temp_c: 21 } } }] },
      ],
      systemInstruction: { parts: [{ text: "You are terse." }] },
      tools: [
        {
          functionDeclarations: [
            { name: "get_weather", description: "Current weather", parametersJsonSchema: WEATHER_PARAMS },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: "ANY" } },
      generationConfig: { temperature: 0.2, maxOutputTokens: 256, stopSequences: ["END"] },
    });
  });

  it("wraps non-object tool output and rejects a tool message for an unknown call", async () => {
    const req = toolConversation();
    const tool = req.messages[3];
    assert.ok(tool !== undefined);
    tool.content = [{ $typeName: "switchyard.v1.ContentPart", part: { case: "text", value: "sunny" } }];
    const contents = (await body(req))["contents"] as { parts: unknown[] }[];
    assert.deepEqual(contents[2]?.parts[0], {
      functionResponse: { name: "get_weather", response: { output: "sunny" } },
    });
    tool.toolCallId = "call_unknown";
    await assert.rejects(gemini.buildRequest(req, t, false), {
      code: "invalid_argument",
      field: "messages[3].tool_call_id",
    });
  });

  it("maps JSON schema mode, reasoning effort and a named tool choice", async () => {
    const g = (await body(jsonModeRequest("json_schema")))["generationConfig"];
    assert.deepEqual(g, {
      responseMimeType: "application/json",
      responseJsonSchema: { type: "object", properties: { name: { type: "string" } } },
    });
    const req = create(ChatRequestSchema, {
      messages: [{ role: "user", content: [{ part: { case: "text", value: "hi" } }] }],
      tools: [{ type: "function", function: { name: "f" } }],
      toolChoice: { mode: "function", functionName: "f" },
      reasoningEffort: "high",
    });
    const b = await body(req);
    assert.deepEqual(b["toolConfig"], {
      functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["f"] },
    });
    assert.deepEqual(b["generationConfig"], {
      thinkingConfig: { thinkingBudget: 24576, includeThoughts: true },
    });
  });

  it("maps reasoning effort none to a budget of 0 (Gemini thinks by default) and xhigh to its largest", async () => {
    const req = create(ChatRequestSchema, {
      messages: [{ role: "user", content: [{ part: { case: "text", value: "hi" } }] }],
      reasoningEffort: "none",
    });
    assert.deepEqual((await body(req))["generationConfig"], { thinkingConfig: { thinkingBudget: 0 } });
    req.reasoningEffort = "xhigh";
    assert.deepEqual((await body(req))["generationConfig"], {
      thinkingConfig: { thinkingBudget: 32768, includeThoughts: true },
    });
  });

  it("maps thinking_budget_tokens (winning over reasoning effort) and top_k", async () => {
    const req = create(ChatRequestSchema, {
      messages: [{ role: "user", content: [{ part: { case: "text", value: "hi" } }] }],
      reasoningEffort: "high",
      thinkingBudgetTokens: 2048,
      topK: 40,
    });
    assert.deepEqual((await body(req))["generationConfig"], {
      topK: 40,
      thinkingConfig: { thinkingBudget: 2048, includeThoughts: true },
    });
    req.thinkingBudgetTokens = 0;
    assert.deepEqual((await body(req))["generationConfig"], {
      topK: 40,
      thinkingConfig: { thinkingBudget: 0 },
    });
  });
});

describe("gemini response", () => {
  it("parses a function call with a deterministic id, and cached/thought usage", () => {
    const a = gemini.parseResponse(200, readJsonFixture(fixture("function-call.json")));
    const b = gemini.parseResponse(200, readJsonFixture(fixture("function-call.json")));
    const choice = a.response.choices[0];
    assert.equal(choice?.finishReason, "tool_calls");
    assert.equal(choice?.message?.content[0]?.part.value, "Checking.");
    // Thought parts are the message's reasoning, not its text.
    assert.equal(choice?.message?.reasoningContent, "Let me think about the units.");
    const call = choice?.message?.toolCalls[0];
    assert.equal(call?.functionName, "get_weather");
    assert.deepEqual(JSON.parse(call?.argumentsJson ?? ""), { city: "Berlin", unit: "c" });
    assert.match(call?.id ?? "", /^call_[0-9a-f]{24}$/);
    assert.equal(call?.id, b.response.choices[0]?.message?.toolCalls[0]?.id);
    assert.deepEqual(usageJson(a.usage), {
      promptTokens: 3100,
      completionTokens: 160,
      totalTokens: 3260,
      cachedTokens: 2048,
      cacheWriteTokens: 0,
      reasoningTokens: 120,
      audioPromptTokens: 0,
      audioCompletionTokens: 0,
      cacheWrite1hTokens: 0,
    });
  });

  it("reports a blocked prompt as content_filter", () => {
    const { response } = gemini.parseResponse(200, {
      promptFeedback: { blockReason: "SAFETY" },
      usageMetadata: { promptTokenCount: 8 },
    });
    assert.equal(response.choices[0]?.finishReason, "content_filter");
  });
});

describe("gemini stream", () => {
  it("decodes thoughts and text with multi-byte characters under any split", () => {
    const { chunks, usage, finishReason } = decodeAllSplits(
      () => gemini.createStreamDecoder(),
      readFixture(fixture("thinking-text-stream.sse")),
    );
    assert.equal(chunks[0]?.choices[0]?.delta?.role, "assistant");
    assert.equal(chunks.filter((c) => c.choices[0]?.delta?.role !== "").length, 1);
    assert.equal(reasoningOf(chunks), "**Pesando** en la pregunta…");
    assert.equal(contentOf(chunks), "¡Hola! El año tiene 365 días 🌍.");
    assert.equal(finishReason, "stop");
    assert.deepEqual(
      [usage.promptTokens, usage.completionTokens, usage.reasoningTokens, usage.cachedTokens],
      [12, 39, 28, 2048],
    );
  });

  it("gives parallel function calls distinct indexes and ids, finishing with tool_calls", () => {
    const { chunks, finishReason } = decodeAllSplits(
      () => gemini.createStreamDecoder(),
      readFixture(fixture("parallel-tools-stream.sse")),
    );
    const calls = toolCallsOf(chunks);
    assert.deepEqual(
      calls.map((c) => [c.index, c.name, JSON.parse(c.args) as unknown]),
      [
        [0, "get_weather", { city: "Paris" }],
        [1, "get_weather", { city: "Montréal" }],
      ],
    );
    assert.notEqual(calls[0]?.id, calls[1]?.id);
    assert.equal(finishReason, "tool_calls");
  });

  it("throws when no event carried a finishReason", () => {
    const text = new TextDecoder().decode(readFixture(fixture("thinking-text-stream.sse")));
    assertCutStreamThrows(
      () => gemini.createStreamDecoder(),
      new TextEncoder().encode(text.slice(0, text.lastIndexOf("data: "))),
    );
  });
});

describe("gemini errors", () => {
  it("takes the retry delay from RetryInfo on 429", () => {
    const err = gemini.mapError(429, readJsonFixture(fixture("error-429.json")), new Headers());
    assert.deepEqual([err.code, err.retryAfterMs], ["rate_limited", 23_000]);
    assert.match(err.message, /exceeded your current quota/);
  });

  it("treats an invalid API key as the gateway's problem, other 400s as the client's", () => {
    const key = gemini.mapError(400, readJsonFixture(fixture("error-400-key.json")), new Headers());
    assert.deepEqual([key.code, key.retryable], ["upstream_error", false]);
    const bad = gemini.mapError(400, readJsonFixture(fixture("error-400.json")), new Headers());
    assert.equal(bad.code, "invalid_argument");
    assert.match(bad.message, /contents is not specified/);
    assert.deepEqual(
      [gemini.mapError(503, {}, new Headers()).code, gemini.mapError(503, {}, new Headers()).retryable],
      ["upstream_error", true],
    );
  });
});

describe("gemini embeddings", () => {
  it("uses batchEmbedContents", async () => {
    const embeddings = gemini.embeddings;
    assert.ok(embeddings !== undefined);
    const req = await embeddings.buildRequest(
      create(EmbedRequestSchema, { input: ["a", "b"], dimensions: 768 }),
      { ...t, upstreamModel: "gemini-embedding-001" },
    );
    assert.equal(
      req.url,
      "https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:batchEmbedContents",
    );
    assert.deepEqual(JSON.parse(req.body), {
      requests: [
        {
          model: "models/gemini-embedding-001",
          content: { parts: [{ text: "a" }] },
          outputDimensionality: 768,
        },
        {
          model: "models/gemini-embedding-001",
          content: { parts: [{ text: "b" }] },
          outputDimensionality: 768,
        },
      ],
    });
    const { response } = embeddings.parseResponse(200, readJsonFixture(fixture("embeddings.json")));
    assert.deepEqual(
      response.data.map((d) => d.vector.length),
      [3, 3],
    );
  });
});

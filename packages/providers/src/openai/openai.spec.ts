import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import type { GatewayError } from "@switchyard/common";
import { CacheControlSchema, ChatRequestSchema, EmbedRequestSchema } from "@switchyard/proto";
import {
  assertCutStreamThrows,
  contentOf,
  decodeAllSplits,
  readFixture,
  readJsonFixture,
  toolCallsOf,
  usageJson,
} from "../testing/stream-feed.js";
import {
  jsonModeRequest,
  PNG_DATA_URL,
  target,
  toolConversation,
  WEATHER_PARAMS,
} from "../testing/requests.js";
import { azure } from "../azure/azure.js";
import { mistral } from "../mistral/mistral.js";
import { openaiCompatible } from "../openai-compatible/openai-compatible.js";
import { openai } from "./openai.js";

const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);
const t = target({ baseUrl: "http://127.0.0.1:9700/openai/v1/", upstreamModel: "gpt-4o" });

describe("openai request", () => {
  it("maps messages, images, tool calls, tool results, tools and sampling fields", async () => {
    const req = await openai.buildRequest(toolConversation(), t, false);
    assert.equal(req.url, "http://127.0.0.1:9700/openai/v1/chat/completions");
    assert.equal(req.headers["authorization"], "Bearer sk-test");
    const body = JSON.parse(req.body) as Record<string, unknown>;
    assert.deepEqual(body, {
      model: "gpt-4o",
      messages: [
        { role: "system", content: "You are terse." },
        {
          role: "user",
          content: [
            { type: "text", text: "Weather where this photo was taken?" },
            { type: "image_url", image_url: { url: PNG_DATA_URL, detail: "low" } },
            { type: "image_url", image_url: { url: "https://example.com/photo.jpg" } },
          ],
        },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            {
              id: "call_abc123",
              type: "function",
              function: { name: "get_weather", arguments: '{"city":"Paris"}' },
            },
          ],
        },
        { role: "tool", content: '{"temp_c":21}', tool_call_id: "call_abc123" },
      ],
      tools: [
        {
          type: "function",
          function: { name: "get_weather", description: "Current weather", parameters: WEATHER_PARAMS },
        },
      ],
      parallel_tool_calls: false,
      tool_choice: "required",
      temperature: 0.2,
      max_completion_tokens: 256,
      stop: ["END"],
    });
  });

  it("asks for a usage chunk when streaming", async () => {
    const body = JSON.parse((await openai.buildRequest(toolConversation(), t, true)).body) as Record<
      string,
      unknown
    >;
    assert.equal(body["stream"], true);
    assert.deepEqual(body["stream_options"], { include_usage: true });
  });

  it("maps JSON mode and JSON schema response formats", async () => {
    const object = JSON.parse(
      (await openai.buildRequest(jsonModeRequest("json_object"), t, false)).body,
    ) as Record<string, unknown>;
    assert.deepEqual(object["response_format"], { type: "json_object" });
    const schema = JSON.parse(
      (await openai.buildRequest(jsonModeRequest("json_schema"), t, false)).body,
    ) as Record<string, unknown>;
    assert.deepEqual(schema["response_format"], {
      type: "json_schema",
      json_schema: {
        name: "city",
        schema: { type: "object", properties: { name: { type: "string" } } },
        strict: true,
      },
    });
  });

  it("maps audio and file parts, seed, reasoning_effort and a named tool choice", async () => {
    const req = create(ChatRequestSchema, {
      messages: [
        {
          role: "user",
          content: [
            { part: { case: "inputAudio", value: { data: "UklGRg==", format: "wav" } } },
            {
              part: {
                case: "file",
                value: { filename: "a.pdf", fileData: "data:application/pdf;base64,JVBERi0=" },
              },
            },
          ],
        },
      ],
      tools: [{ type: "function", function: { name: "f", parametersJson: "{}" } }],
      toolChoice: { mode: "function", functionName: "f" },
      seed: 42n,
      reasoningEffort: "high",
    });
    const body = JSON.parse((await openai.buildRequest(req, t, false)).body) as Record<string, unknown>;
    assert.deepEqual(body["messages"], [
      {
        role: "user",
        content: [
          { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } },
          { type: "file", file: { filename: "a.pdf", file_data: "data:application/pdf;base64,JVBERi0=" } },
        ],
      },
    ]);
    assert.deepEqual(body["tool_choice"], { type: "function", function: { name: "f" } });
    assert.equal(body["seed"], 42);
    assert.equal(body["reasoning_effort"], "high");
  });

  it("sends none of the Anthropic-only fields upstream, in any OpenAI dialect", async () => {
    const cache = create(CacheControlSchema, { type: "ephemeral", ttl: "1h" });
    const rich = toolConversation();
    rich.thinkingBudgetTokens = 8000;
    rich.topK = 40;
    rich.anthropicVersion = "2023-06-01";
    rich.anthropicBeta = ["interleaved-thinking-2025-05-14"];
    const [system, user, assistant, tool] = rich.messages;
    assert.ok(system && user && assistant && tool);
    system.cacheControl = cache;
    for (const p of user.content) p.cacheControl = cache;
    assistant.reasoningContent = "Need the tool.";
    assistant.reasoningSignature = "EqQBsig";
    assistant.redactedReasoning = ["EmwKAhgB"];
    assistant.cacheControl = cache;
    tool.toolError = true;
    for (const tl of rich.tools) tl.cacheControl = cache;
    for (const adapter of [openai, azure, mistral, openaiCompatible]) {
      for (const stream of [false, true]) {
        const plain = (await adapter.buildRequest(toolConversation(), t, stream)).body;
        assert.equal((await adapter.buildRequest(rich, t, stream)).body, plain, adapter.id);
        assert.doesNotMatch(plain, /reasoning|signature|cache_control|top_k|thinking|anthropic|is_error/);
      }
    }
  });

  it("rejects tool parameters that are not JSON, naming the field", async () => {
    const req = create(ChatRequestSchema, {
      tools: [{ type: "function", function: { name: "f", parametersJson: "{oops" } }],
    });
    await assert.rejects(openai.buildRequest(req, t, false), (err: GatewayError) => {
      assert.equal(err.code, "invalid_argument");
      assert.equal(err.field, "tools[0].function.parameters");
      return true;
    });
  });
});

describe("openai response", () => {
  it("parses parallel tool calls and cached/reasoning usage", () => {
    const { response, usage } = openai.parseResponse(200, readJsonFixture(fixture("tool-calls.json")));
    assert.equal(response.id, "chatcmpl-abc123");
    assert.equal(response.created, 1699896916n);
    assert.equal(response.systemFingerprint, "fp_44709d6fcb");
    const choice = response.choices[0];
    assert.equal(choice?.finishReason, "tool_calls");
    assert.deepEqual(
      choice?.message?.toolCalls.map((c) => [c.id, c.functionName, JSON.parse(c.argumentsJson) as unknown]),
      [
        ["call_abc123", "get_weather", { city: "Boston" }],
        ["call_def456", "get_weather", { city: "Köln" }],
      ],
    );
    assert.deepEqual(usageJson(usage), {
      promptTokens: 1282,
      completionTokens: 417,
      totalTokens: 1699,
      cachedTokens: 1152,
      cacheWriteTokens: 0,
      reasoningTokens: 320,
      audioPromptTokens: 0,
      audioCompletionTokens: 0,
      cacheWrite1hTokens: 0,
    });
  });
  it("returns reasoning_content of a unary answer as the message's reasoning", () => {
    const answer = (message: Record<string, unknown>): unknown => ({
      id: "chatcmpl-r",
      created: 1,
      model: "deepseek-reasoner",
      choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason: "stop" }],
    });
    const m = openai.parseResponse(200, answer({ content: "42", reasoning_content: "Six by seven… 🤔" }))
      .response.choices[0]?.message;
    assert.equal(m?.reasoningContent, "Six by seven… 🤔");
    assert.equal(m?.content[0]?.part.value, "42");
    // OpenRouter's `reasoning` only where the dialect is lenient.
    const openRouter = answer({ content: "42", reasoning: "Six by seven." });
    assert.equal(openai.parseResponse(200, openRouter).response.choices[0]?.message?.reasoningContent, "");
    assert.equal(
      openaiCompatible.parseResponse(200, openRouter).response.choices[0]?.message?.reasoningContent,
      "Six by seven.",
    );
    assert.equal(
      openai.parseResponse(200, readJsonFixture(fixture("tool-calls.json"))).response.choices[0]?.message
        ?.reasoningContent,
      "",
    );
  });
});

describe("openai stream", () => {
  it("decodes text with multi-byte characters identically under any split", () => {
    const bytes = readFixture(fixture("text-stream.sse"));
    const { chunks, usage, finishReason } = decodeAllSplits(() => openai.createStreamDecoder(), bytes);
    assert.equal(chunks[0]?.choices[0]?.delta?.role, "assistant");
    assert.equal(contentOf(chunks), "Un café crème, s'il vous plaît ☕🥐");
    assert.equal(chunks.at(-1)?.choices[0]?.finishReason, "stop");
    assert.ok(
      chunks.every((c) => c.choices.length > 0 && c.usage === undefined),
      "no usage-only chunks",
    );
    assert.equal(finishReason, "stop");
    assert.equal(usage.cachedTokens, 1920);
    assert.equal(usage.reasoningTokens, 192);
    assert.equal(usage.totalTokens, 2306);
  });

  it("decodes parallel tool calls by index", () => {
    const { chunks, finishReason } = decodeAllSplits(
      () => openai.createStreamDecoder(),
      readFixture(fixture("parallel-tools.sse")),
    );
    assert.deepEqual(toolCallsOf(chunks), [
      { index: 0, id: "call_DdmO9pD3xa9XTPNJ32zg2hcA", name: "get_weather", args: '{"city": "Paris"}' },
      { index: 1, id: "call_ABTf3x9MWE4yYS8Q4SHDhZqy", name: "get_weather", args: '{"city": "Zürich"}' },
    ]);
    assert.equal(finishReason, "tool_calls");
  });

  it("throws when the stream ends before [DONE]", () => {
    const text = new TextDecoder().decode(readFixture(fixture("text-stream.sse")));
    assertCutStreamThrows(
      () => openai.createStreamDecoder(),
      new TextEncoder().encode(text.replace("data: [DONE]", "")),
    );
  });

  it("throws the upstream's error event mid-stream", () => {
    const d = openai.createStreamDecoder();
    assert.throws(
      () => d.push(readFixture(fixture("error-stream.sse"))),
      (err: GatewayError) => err.code === "upstream_error" && err.message.includes("The server had an error"),
    );
  });
});

describe("openai errors", () => {
  it("maps 429 with retry-after-ms to rate_limited", () => {
    const err = openai.mapError(
      429,
      readJsonFixture(fixture("error-429.json")),
      new Headers({ "retry-after-ms": "1500", "retry-after": "2" }),
    );
    assert.equal(err.code, "rate_limited");
    assert.equal(err.retryable, true);
    assert.equal(err.retryAfterMs, 1500);
    assert.equal(err.upstreamStatus, 429);
    assert.match(err.message, /Rate limit reached for gpt-4o/);
  });

  it("maps 429 with an HTTP-date Retry-After", () => {
    const at = new Date(Date.now() + 30_000).toUTCString();
    const err = openai.mapError(429, {}, new Headers({ "retry-after": at }));
    assert.ok(err.retryAfterMs > 25_000 && err.retryAfterMs <= 30_000, String(err.retryAfterMs));
  });

  it("does not retry an exhausted quota", () => {
    const err = openai.mapError(429, readJsonFixture(fixture("error-quota.json")), new Headers());
    assert.equal(err.code, "upstream_error");
    assert.equal(err.retryable, false);
  });

  it("maps 400 to invalid_argument with OpenAI's message", () => {
    const err = openai.mapError(400, readJsonFixture(fixture("error-400.json")), new Headers());
    assert.equal(err.code, "invalid_argument");
    assert.match(err.message, /Invalid schema for function 'get_weather'/);
  });

  it("maps 401 to a non-retryable upstream error, 404 to not_found, 500 to retryable", () => {
    const auth = openai.mapError(401, { error: { message: "Incorrect API key provided" } }, new Headers());
    assert.deepEqual([auth.code, auth.retryable], ["upstream_error", false]);
    assert.match(auth.message, /Incorrect API key/);
    assert.equal(
      openai.mapError(404, { error: { message: "The model `x` does not exist" } }, new Headers()).code,
      "not_found",
    );
    const server = openai.mapError(500, "<html>bad gateway</html>", new Headers());
    assert.deepEqual([server.code, server.retryable], ["upstream_error", true]);
    assert.equal(openai.mapError(408, {}, new Headers()).code, "deadline_exceeded");
  });
});

describe("openai embeddings", () => {
  it("builds the request and parses vectors and usage", async () => {
    const embeddings = openai.embeddings;
    assert.ok(embeddings !== undefined);
    const req = await embeddings.buildRequest(
      create(EmbedRequestSchema, { input: ["a", "b"], dimensions: 3 }),
      t,
    );
    assert.equal(req.url, "http://127.0.0.1:9700/openai/v1/embeddings");
    assert.deepEqual(JSON.parse(req.body), {
      model: "gpt-4o",
      input: ["a", "b"],
      dimensions: 3,
      encoding_format: "float",
    });
    const { response, usage } = embeddings.parseResponse(200, readJsonFixture(fixture("embeddings.json")));
    assert.equal(response.data.length, 2);
    assert.ok(Math.abs((response.data[0]?.vector[1] ?? 0) - -0.009327292) < 1e-6);
    assert.equal(usage.promptTokens, 8);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { target, toolConversation } from "../testing/requests.js";
import { contentOf, decodeAllSplits, readFixture, reasoningOf, toolCallsOf } from "../testing/stream-feed.js";
import { openaiCompatible } from "./openai-compatible.js";

const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);

describe("openai-compatible request", () => {
  it("sends max_tokens and no Authorization header without a key", async () => {
    const req = await openaiCompatible.buildRequest(
      toolConversation(),
      target({ baseUrl: "http://127.0.0.1:11434/v1", apiKey: "" }),
      false,
    );
    assert.equal(req.url, "http://127.0.0.1:11434/v1/chat/completions");
    assert.equal(req.headers["authorization"], undefined);
    const body = JSON.parse(req.body) as Record<string, unknown>;
    assert.equal(body["max_tokens"], 256);
    assert.equal(body["max_completion_tokens"], undefined);
  });
});

describe("openai-compatible stream", () => {
  it("reads DeepSeek reasoning_content and reasoning tokens", () => {
    const { chunks, usage } = decodeAllSplits(
      () => openaiCompatible.createStreamDecoder(),
      readFixture(fixture("deepseek-reasoning.sse")),
    );
    assert.equal(reasoningOf(chunks), "L'utilisateur veut… ");
    assert.equal(contentOf(chunks), "Réponse : 42 🎯");
    assert.equal(usage.reasoningTokens, 80);
    assert.equal(usage.promptTokens, 20);
  });

  it("accepts index-less, id-less tool calls, object arguments, `reasoning` and a missing [DONE]", () => {
    const { chunks, usage, finishReason } = decodeAllSplits(
      () => openaiCompatible.createStreamDecoder(),
      readFixture(fixture("lenient-tools.sse")),
    );
    assert.equal(chunks[0]?.choices[0]?.delta?.role, "assistant");
    assert.equal(reasoningOf(chunks), "Need two lookups.");
    const calls = toolCallsOf(chunks);
    assert.deepEqual(
      calls.map((c) => [c.index, c.name, c.args]),
      [
        [0, "get_weather", '{"city":"Oslo"}'],
        [1, "get_time", '{"tz":"Europe/Oslo"}'],
      ],
    );
    assert.ok(calls.every((c) => /^call_[0-9a-f]{24}$/.test(c.id)));
    assert.notEqual(calls[0]?.id, calls[1]?.id);
    assert.equal(finishReason, "tool_calls");
    assert.equal(usage.totalTokens, 0);
  });

  it("still throws on a stream cut before any finish_reason", () => {
    const d = openaiCompatible.createStreamDecoder();
    const text = new TextDecoder().decode(readFixture(fixture("lenient-tools.sse")));
    d.push(new TextEncoder().encode(text.slice(0, text.indexOf('tool_calls"}]}'))));
    assert.throws(() => d.finish(), { code: "upstream_error" });
  });
});

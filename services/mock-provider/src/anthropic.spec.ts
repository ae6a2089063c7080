/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return --
   Wire-shape assertions read untyped vendor JSON; typing every vendor body here would only restate the assertions. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseSse, postJson, useMock, weatherTool } from "./spec-helpers.js";

const ctx = useMock();
const headers = { "x-api-key": "mock-anthropic-key", "anthropic-version": "2023-06-01" };
const url = (): string => `${ctx.mock.url}/anthropic/v1/messages`;
const tools = [
  { name: weatherTool.name, description: weatherTool.description, input_schema: weatherTool.schema },
];

describe("anthropic protocol", () => {
  it("requires x-api-key and anthropic-version, and max_tokens", async () => {
    const body = { model: "mock-claude", max_tokens: 50, messages: [{ role: "user", content: "hi" }] };
    const noVersion = await postJson(url(), body, { "x-api-key": "k" });
    assert.equal(noVersion.status, 400);
    const err = (await noVersion.json()) as any;
    assert.equal(err.type, "error");
    assert.equal(err.error.type, "invalid_request_error");
    assert.equal((await postJson(url(), body)).status, 401);
    const noMax = await postJson(url(), { ...body, max_tokens: undefined }, headers);
    assert.equal(noMax.status, 400);
  });

  it("answers a message with usage including cache reads", async () => {
    const res = await postJson(
      url(),
      {
        model: "mock-claude",
        max_tokens: 100,
        system: "Be brief",
        messages: [{ role: "user", content: [{ type: "text", text: "Hello [mock:cached=3]" }] }],
      },
      headers,
    );
    assert.equal(res.status, 200);
    const json = (await res.json()) as any;
    assert.equal(json.type, "message");
    assert.match(json.id, /^msg_/);
    assert.equal(json.content[0].type, "text");
    assert.match(json.content[0].text, /^Mock reply from anthropic: /);
    assert.equal(json.stop_reason, "end_turn");
    assert.equal(json.stop_sequence, null);
    assert.equal(json.usage.cache_read_input_tokens, 3);
    assert.equal(json.usage.cache_creation_input_tokens, 0);
    assert.ok(json.usage.input_tokens > 0);
  });

  it("reports cache writes (cache_write=N) apart from input and cache reads, in JSON and at message_start", async () => {
    const body = (directive: string, stream = false) => ({
      model: "mock-claude",
      max_tokens: 100,
      stream,
      system: [
        { type: "text", text: "A long and cacheable system prompt.", cache_control: { type: "ephemeral" } },
      ],
      messages: [{ role: "user", content: `Hello ${directive}` }],
    });
    const plain = (await (await postJson(url(), body("[mock:words=3]"), headers)).json()) as any;
    assert.equal(plain.usage.cache_creation_input_tokens, 0);
    assert.deepEqual(plain.usage.cache_creation, {
      ephemeral_5m_input_tokens: 0,
      ephemeral_1h_input_tokens: 0,
    });

    const cachedText = "[mock:cached=3,cache_write=5]";
    // The same prompt with zeros (a digit is a token either way): its whole count as input.
    const zeros = (await (
      await postJson(url(), body("[mock:cached=0,cache_write=0]"), headers)
    ).json()) as any;
    const total = zeros.usage.input_tokens as number;
    assert.equal(zeros.usage.cache_creation_input_tokens, 0);
    const json = (await (await postJson(url(), body(cachedText), headers)).json()) as any;
    assert.equal(json.usage.cache_read_input_tokens, 3);
    assert.equal(json.usage.cache_creation_input_tokens, 5);
    assert.deepEqual(json.usage.cache_creation, {
      ephemeral_5m_input_tokens: 5,
      ephemeral_1h_input_tokens: 0,
    });
    assert.equal(json.usage.input_tokens, total - 3 - 5);

    // Written tokens are at most the uncached part of the prompt.
    const capped = (await (
      await postJson(url(), body("[mock:cached=2,cache_write=100000]"), headers)
    ).json()) as any;
    assert.equal(capped.usage.input_tokens, 0);
    assert.equal(capped.usage.cache_read_input_tokens, 2);
    assert.ok(capped.usage.cache_creation_input_tokens > 0);

    // The stream announces the prompt side, cache reads and writes included, at message_start.
    const events = parseSse(await (await postJson(url(), body(cachedText, true), headers)).text());
    const start = JSON.parse(events[0]!.data);
    assert.equal(start.type, "message_start");
    assert.deepEqual(start.message.usage, { ...json.usage, output_tokens: 1 });
  });

  it("sends redacted_thinking blocks (redacted_thinking=N) after the thinking, in JSON and whole in the stream", async () => {
    const body = (stream: boolean) => ({
      model: "mock-claude",
      max_tokens: 100,
      stream,
      messages: [{ role: "user", content: "Hello [mock:reasoning=3,redacted_thinking=2,words=2]" }],
    });
    type Block = { type: string; data?: string };
    type Event = { type: string; index?: number; content_block?: Block };
    const json = (await (await postJson(url(), body(false), headers)).json()) as { content: Block[] };
    assert.deepEqual(
      json.content.map((b) => b.type),
      ["thinking", "redacted_thinking", "redacted_thinking", "text"],
    );
    const data = json.content.slice(1, 3).map((b) => b.data);
    assert.notEqual(data[0], data[1]);
    const events = parseSse(await (await postJson(url(), body(true), headers)).text()).map(
      (e) => JSON.parse(e.data) as Event,
    );
    const redacted = events.filter(
      (e) => e.type === "content_block_start" && e.content_block?.type === "redacted_thinking",
    );
    assert.deepEqual(
      redacted.map((e) => e.content_block?.data),
      data,
    );
    // No delta for a redacted block: its start carries all of it.
    const indexes = redacted.map((e) => e.index);
    assert.ok(!events.some((e) => e.type === "content_block_delta" && indexes.includes(e.index)));
  });

  it("ignores cache_write in the OpenAI protocol, which has no cache writes", async () => {
    const res = await postJson(
      `${ctx.mock.url}/openai/v1/chat/completions`,
      { model: "mock-gpt", messages: [{ role: "user", content: "Hello [mock:cached=3,cache_write=5]" }] },
      { authorization: "Bearer mock-openai-key" },
    );
    assert.equal(res.status, 200);
    const json = (await res.json()) as any;
    assert.equal(json.usage.prompt_tokens_details.cached_tokens, 3);
    assert.equal(JSON.stringify(json).includes("cache_creation"), false);
    const without = (await (
      await postJson(
        `${ctx.mock.url}/openai/v1/chat/completions`,
        { model: "mock-gpt", messages: [{ role: "user", content: "Hello [mock:cached=3,cache_write=0]" }] },
        { authorization: "Bearer mock-openai-key" },
      )
    ).json()) as any;
    assert.deepEqual(json.usage, without.usage);
  });

  it("streams the Messages event sequence with thinking and text deltas", async () => {
    const res = await postJson(
      url(),
      {
        model: "mock-claude",
        max_tokens: 100,
        stream: true,
        messages: [{ role: "user", content: "Think [mock:reasoning=3,words=4]" }],
      },
      headers,
    );
    const events = parseSse(await res.text());
    const names = events.map((e) => e.event);
    assert.deepEqual(names.slice(0, 3), ["message_start", "content_block_start", "ping"]);
    assert.deepEqual(names.slice(-2), ["message_delta", "message_stop"]);
    for (const e of events) assert.equal((JSON.parse(e.data) as { type: string }).type, e.event);
    const data = events.map((e) => JSON.parse(e.data));
    const thinking = data.filter((d) => d.delta?.type === "thinking_delta").map((d) => d.delta.thinking);
    assert.equal(thinking.length, 3);
    assert.ok(data.some((d) => d.delta?.type === "signature_delta"));
    const text = data
      .filter((d) => d.delta?.type === "text_delta")
      .map((d) => d.delta.text)
      .join("");
    assert.match(text, /^Mock reply from anthropic: \w+ \w+ \w+ \w+$/);
    const delta = data.find((d) => d.type === "message_delta");
    assert.equal(delta.delta.stop_reason, "end_turn");
    assert.equal(delta.usage.output_tokens, 8 + 3);
  });

  it("streams tool_use blocks as input_json_delta fragments; max_tokens stops with max_tokens", async () => {
    const res = await postJson(
      url(),
      {
        model: "mock-claude",
        max_tokens: 100,
        stream: true,
        tools,
        tool_choice: { type: "any" },
        messages: [{ role: "user", content: "Weather?" }],
      },
      headers,
    );
    const data = parseSse(await res.text()).map((e) => JSON.parse(e.data));
    const start = data.find((d) => d.type === "content_block_start" && d.content_block.type === "tool_use");
    assert.match(start.content_block.id, /^toolu_/);
    assert.equal(start.content_block.name, "get_weather");
    const parts = data
      .filter((d) => d.delta?.type === "input_json_delta")
      .map((d) => d.delta.partial_json as string);
    assert.ok(parts.length > 2);
    assert.equal(typeof JSON.parse(parts.join("")).city, "string");
    assert.equal(data.find((d) => d.type === "message_delta").delta.stop_reason, "tool_use");

    const short = (await (
      await postJson(
        url(),
        { model: "mock-claude", max_tokens: 2, messages: [{ role: "user", content: "hi" }] },
        headers,
      )
    ).json()) as any;
    assert.equal(short.stop_reason, "max_tokens");
    assert.equal(short.usage.output_tokens, 2);
  });

  it("takes Claude Code's request shapes and answers a stop sequence and signed thinking", async () => {
    const cache = { type: "ephemeral", ttl: "1h" };
    const body = {
      model: "mock-claude",
      max_tokens: 4000,
      thinking: { type: "enabled", budget_tokens: 2000 },
      top_k: 40,
      stop_sequences: ["reply"],
      system: [
        { type: "text", text: "You are Claude Code." },
        { type: "text", text: "Rules.", cache_control: cache },
      ],
      tools: [{ ...tools[0], cache_control: { type: "ephemeral" } }],
      messages: [
        { role: "user", content: [{ type: "text", text: "Weather?", cache_control: cache }] },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "Use the tool.", signature: "RXFRQmNpZw==" },
            { type: "redacted_thinking", data: "EmwKAhgBEgy3va3p" },
            { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Oslo" } },
          ],
        },
        {
          role: "user",
          content: [
            {
              type: "tool_result",
              tool_use_id: "toolu_1",
              content: [{ type: "text", text: "no network" }],
              is_error: true,
              cache_control: { type: "ephemeral" },
            },
            { type: "text", text: "Try again [mock:reasoning=2]" },
          ],
        },
      ],
    };
    const beta = { ...headers, "anthropic-beta": "interleaved-thinking-2025-05-14,context-1m-2025-08-07" };
    const res = await postJson(url(), body, beta);
    assert.equal(res.status, 200);
    const json = (await res.json()) as any;
    assert.deepEqual([json.stop_reason, json.stop_sequence], ["stop_sequence", "reply"]);
    assert.equal(json.content[0].type, "thinking");
    assert.ok(json.content[0].thinking.length > 0);
    assert.match(json.content[0].signature, /^[A-Za-z0-9+/=]+$/);
    assert.deepEqual(json.content[1], { type: "text", text: "Mock " });

    const events = parseSse(await (await postJson(url(), { ...body, stream: true }, beta)).text());
    const data = events.map((e) => JSON.parse(e.data));
    assert.ok(data.some((d) => d.delta?.type === "signature_delta" && d.delta.signature.length > 0));
    const end = data.find((d) => d.type === "message_delta");
    assert.deepEqual([end.delta.stop_reason, end.delta.stop_sequence], ["stop_sequence", "reply"]);
  });

  it("answers 529 overloaded_error and 404 for an unknown model", async () => {
    const body = { model: "mock-claude", max_tokens: 10, messages: [{ role: "user", content: "hi" }] };
    const res = await postJson(url(), body, { ...headers, "x-mock-controls": "error=529" });
    assert.equal(res.status, 529);
    const json = (await res.json()) as any;
    assert.deepEqual([json.type, json.error.type], ["error", "overloaded_error"]);
    const unknown = await postJson(url(), { ...body, model: "claude-3-opus" }, headers);
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as any).error.type, "not_found_error");
  });
});

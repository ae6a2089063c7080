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

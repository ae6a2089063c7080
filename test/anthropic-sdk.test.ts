// The official Anthropic SDK (what Claude Code is built on), pointed at the gateway's
// /v1/messages door, works by changing only the base URL and key — against an Anthropic
// deployment (mock-claude) and an OpenAI-protocol one (mock-gpt) alike: messages unary and
// streamed, a tool round trip, thinking, count_tokens, models, and Anthropic's error shapes.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import Anthropic from "@anthropic-ai/sdk";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";
import { waitForUsageEvents } from "./harness/usage-events.js";

const weather: Anthropic.Tool = {
  name: "get_weather",
  description: "Weather for a city",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

/** The mock's record of the request whose prompt carried `[marker:<marker>]`. */
function seenBy(gw: GatewayUnderTest, marker: string): { body: Record<string, unknown>; provider: string } {
  const r = gw.mock.requests().find((x) => x.marker === marker);
  assert.ok(r !== undefined, `the mock saw no request marked ${marker}`);
  return { body: JSON.parse(r.body) as Record<string, unknown>, provider: r.provider };
}

describe("Anthropic SDK against the gateway", () => {
  let gw: GatewayUnderTest;
  let client: Anthropic;

  before(async () => {
    gw = await startGateway();
    client = new Anthropic({ baseURL: gw.httpUrl.replace(/\/v1$/, ""), apiKey: KEYS.dev, maxRetries: 0 });
  });
  after(() => gw?.stop());

  for (const model of ["mock-claude", "mock-gpt"]) {
    describe(`through ${model}`, () => {
      it("answers a message, through the whole pipeline, with its usage event", async () => {
        const { data: msg, response } = await client.messages
          .create({
            model,
            max_tokens: 200,
            system: "be brief",
            messages: [{ role: "user", content: `hello there [marker:${model}-unary]` }],
          })
          .withResponse();
        assert.equal(msg.type, "message");
        assert.equal(msg.role, "assistant");
        assert.equal(msg.model, model);
        assert.match(msg.id, /^msg_/);
        assert.equal(msg.stop_reason, "end_turn");
        const text = msg.content.map((b) => (b.type === "text" ? b.text : "")).join("");
        assert.match(text, /\w+/);
        assert.ok(msg.usage.input_tokens > 0 && msg.usage.output_tokens > 0);
        const timing = response.headers.get("x-switchyard-timing") ?? "";
        for (const stage of ["guard", "router", "meter", "provider"]) assert.match(timing, new RegExp(stage));
        const requestId = response.headers.get("request-id") ?? "";
        assert.equal(requestId, response.headers.get("x-request-id"));
        const events = await waitForUsageEvents(gw.nc, gw.prefix, [requestId]);
        const event = events.find((e) => e.requestId === requestId);
        assert.equal(event?.usage?.completionTokens, msg.usage.output_tokens);
        assert.equal(event?.door, "http");
        // The system prompt is a top-level field upstream too (Anthropic) or a system message.
        const seen = seenBy(gw, `${model}-unary`).body;
        if (model === "mock-claude") assert.deepEqual(seen["system"], [{ type: "text", text: "be brief" }]);
        else assert.deepEqual((seen["messages"] as unknown[])[0], { role: "system", content: "be brief" });
      });

      it("streams Anthropic's event sequence, with input tokens announced at message_start", async () => {
        const stream = client.messages.stream({
          model,
          max_tokens: 200,
          messages: [{ role: "user", content: "stream a few words please" }],
        });
        const types: string[] = [];
        let startInput = 0;
        for await (const event of stream) {
          types.push(event.type);
          if (event.type === "message_start") startInput = event.message.usage.input_tokens;
        }
        const final = await stream.finalMessage();
        assert.equal(types[0], "message_start");
        assert.equal(types.at(-1), "message_stop");
        assert.equal(types.at(-2), "message_delta");
        assert.ok(types.includes("content_block_start") && types.includes("content_block_delta"));
        assert.ok(startInput > 0, "message_start announces the prompt's tokens, not zero");
        assert.ok(final.usage.input_tokens > 0 && final.usage.output_tokens > 0);
        assert.equal(final.stop_reason, "end_turn");
        assert.match(final.content.map((b) => (b.type === "text" ? b.text : "")).join(""), /\w+/);
      });

      it("makes a tool round trip", async () => {
        const first = await client.messages.create({
          model,
          max_tokens: 300,
          tools: [weather],
          messages: [{ role: "user", content: "weather in Paris? [mock:tools=1]" }],
        });
        assert.equal(first.stop_reason, "tool_use");
        const call = first.content.find((b) => b.type === "tool_use");
        assert.ok(call !== undefined && call.type === "tool_use");
        assert.equal(call.name, "get_weather");
        assert.equal(typeof (call.input as { city: unknown }).city, "string");
        const second = await client.messages.create({
          model,
          max_tokens: 300,
          tools: [weather],
          messages: [
            { role: "user", content: "weather in Paris? [mock:tools=1]" },
            { role: "assistant", content: first.content },
            {
              role: "user",
              content: [
                { type: "tool_result", tool_use_id: call.id, content: "18°C and sunny" },
                { type: "text", text: `thanks [marker:${model}-tool]` },
              ],
            },
          ],
        });
        assert.equal(second.stop_reason, "end_turn");
        assert.ok(second.content.some((b) => b.type === "text"));
        const seen = seenBy(gw, `${model}-tool`).body["messages"] as Record<string, unknown>[];
        if (model === "mock-claude") {
          const last = seen.at(-1)?.["content"] as Record<string, unknown>[];
          assert.deepEqual(last[0], { type: "tool_result", tool_use_id: call.id, content: "18°C and sunny" });
        } else {
          const tool = seen.find((m) => m["role"] === "tool");
          assert.equal(tool?.["tool_call_id"], call.id);
        }
      });

      it("counts tokens without calling the upstream", async () => {
        const before = gw.mock.requests().length;
        const counted = await client.messages.countTokens({
          model,
          system: "be brief",
          tools: [weather],
          messages: [{ role: "user", content: "how many tokens is this sentence?" }],
        });
        assert.ok(counted.input_tokens > 10, `counted ${counted.input_tokens}`);
        assert.equal(gw.mock.requests().length, before);
      });
    });
  }

  it("carries thinking out and back, with its signature, to an Anthropic upstream", async () => {
    const first = await client.messages.create({
      model: "mock-claude",
      max_tokens: 4000,
      thinking: { type: "enabled", budget_tokens: 2048 },
      tools: [weather],
      messages: [{ role: "user", content: "think, then call the tool [mock:reasoning=6,tools=1]" }],
    });
    const thinking = first.content.find((b) => b.type === "thinking");
    assert.ok(thinking !== undefined && thinking.type === "thinking", "the thinking block is returned");
    assert.match(thinking.thinking, /\w+/);
    assert.notEqual(thinking.signature, "");
    const call = first.content.find((b) => b.type === "tool_use");
    assert.ok(call !== undefined && call.type === "tool_use");
    await client.messages.create({
      model: "mock-claude",
      max_tokens: 4000,
      thinking: { type: "enabled", budget_tokens: 2048 },
      tools: [weather],
      messages: [
        { role: "user", content: "think, then call the tool [mock:reasoning=6,tools=1]" },
        { role: "assistant", content: first.content },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: call.id, content: "sunny" },
            { type: "text", text: "[marker:thinking-back]" },
          ],
        },
      ],
    });
    const back = seenBy(gw, "thinking-back").body;
    assert.deepEqual(back["thinking"], { type: "enabled", budget_tokens: 2048 });
    const assistant = (back["messages"] as { content: unknown[] }[])[1]?.content;
    assert.deepEqual(assistant?.[0], {
      type: "thinking",
      thinking: thinking.thinking,
      signature: thinking.signature,
    });
  });

  it("refuses a bad key with a 401 in Anthropic's shape", async () => {
    const bad = new Anthropic({ baseURL: gw.httpUrl.replace(/\/v1$/, ""), apiKey: "wrong", maxRetries: 0 });
    await assert.rejects(
      bad.messages.create({
        model: "mock-claude",
        max_tokens: 10,
        messages: [{ role: "user", content: "x" }],
      }),
      (err: unknown) =>
        err instanceof Anthropic.AuthenticationError &&
        (err.error as { type: string; error: { type: string } }).error.type === "authentication_error",
    );
    // Claude Code's other way to send a key: Authorization: Bearer (ANTHROPIC_AUTH_TOKEN).
    const bearer = new Anthropic({
      baseURL: gw.httpUrl.replace(/\/v1$/, ""),
      apiKey: null,
      authToken: KEYS.dev,
      maxRetries: 0,
    });
    const ok = await bearer.messages.create({
      model: "mock-claude",
      max_tokens: 10,
      messages: [{ role: "user", content: "x" }],
    });
    assert.equal(ok.type, "message");
  });

  it("answers an unknown model with a 404 not_found_error", async () => {
    await assert.rejects(
      client.messages.create({
        model: "claude-nope",
        max_tokens: 10,
        messages: [{ role: "user", content: "x" }],
      }),
      (err: unknown) =>
        err instanceof Anthropic.NotFoundError &&
        (err.error as { error: { type: string } }).error.type === "not_found_error",
    );
  });

  it("names the field at fault in a 400 invalid_request_error", async () => {
    await assert.rejects(
      client.messages.create({ model: "mock-claude", max_tokens: 10, messages: [] }),
      (err: unknown) =>
        err instanceof Anthropic.BadRequestError &&
        (err.error as { error: { type: string; message: string } }).error.type === "invalid_request_error" &&
        /messages/.test(err.message),
    );
  });

  it("lists models in Anthropic's shape when asked with anthropic-version", async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) {
      assert.equal(m.type, "model");
      ids.push(m.id);
    }
    assert.ok(ids.includes("mock-claude") && ids.includes("mock-gpt"));
    assert.equal((await client.models.retrieve("mock-gpt")).id, "mock-gpt");
  });
});

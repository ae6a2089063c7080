// The official Anthropic SDK (what Claude Code is built on), pointed at the gateway's
// /v1/messages door, works by changing only the base URL and key — against an Anthropic
// deployment (mock-claude), an OpenAI-protocol one (mock-gpt) and a Gemini one (mock-gemini)
// alike: messages unary and streamed, a tool round trip, thinking, count_tokens, models, prompt
// caching (breakpoints, beta headers, cache usage), streams failing midway, and Anthropic's error
// shapes (529 overloaded_error among them).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import Anthropic from "@anthropic-ai/sdk";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";
import { WEATHER_ANTHROPIC_TOOL } from "./harness/sdk-requests.js";
import { mockCallsFrom, seenBy } from "./harness/mock-seen.js";
import { waitForUsageEvents } from "./harness/usage-events.js";

const weather: Anthropic.Tool = WEATHER_ANTHROPIC_TOOL;

/** The events of an SSE text, in order: name and parsed data. */
function sseEvents(text: string): { event: string; data: string }[] {
  return text
    .split(/\r?\n\r?\n/)
    .filter((block) => block.trim() !== "")
    .map((block) => {
      const lines = block.split(/\r?\n/);
      const event =
        lines
          .find((l) => l.startsWith("event:"))
          ?.slice(6)
          .trim() ?? "";
      const data = lines
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trim())
        .join("\n");
      return { event, data };
    });
}

/** A model alias whose only deployment is an Anthropic provider that always answers 529. */
const OVERLOADED = "claude-overloaded";

describe("Anthropic SDK against the gateway", () => {
  let gw: GatewayUnderTest;
  let client: Anthropic;

  before(async () => {
    gw = await startGateway({
      gatewayFile: (config, { mockUrl }) => {
        // The mock-anthropic provider's base URL with an error control segment in front.
        (config["providers"] as Record<string, unknown>)["mock-anthropic-529"] = {
          type: "anthropic",
          base_url: `${mockUrl}/_mock/error=529/anthropic/v1`,
          api_key_env: "MOCK_ANTHROPIC_API_KEY",
        };
        (config["models"] as unknown[]).push({
          alias: OVERLOADED,
          kind: "chat",
          deployments: [
            {
              id: "anthropic-529",
              provider: "mock-anthropic-529",
              model: "mock-claude",
              input_usd_per_mtok: 3,
              output_usd_per_mtok: 15,
            },
          ],
        });
      },
    });
    client = new Anthropic({ baseURL: gw.httpUrl.replace(/\/v1$/, ""), apiKey: KEYS.dev, maxRetries: 0 });
  });
  after(() => gw?.stop());

  for (const model of ["mock-claude", "mock-gpt", "mock-gemini"]) {
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
        else if (model === "mock-gemini")
          assert.deepEqual(seen["systemInstruction"], { parts: [{ text: "be brief" }] });
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
        const body = seenBy(gw, `${model}-tool`).body;
        if (model === "mock-claude") {
          const seen = body["messages"] as Record<string, unknown>[];
          const last = seen.at(-1)?.["content"] as Record<string, unknown>[];
          assert.deepEqual(last[0], { type: "tool_result", tool_use_id: call.id, content: "18°C and sunny" });
        } else if (model === "mock-gemini") {
          // Gemini pairs a function response with its call by name; the result text is its output.
          const contents = body["contents"] as { role: string; parts: Record<string, unknown>[] }[];
          assert.deepEqual(contents.at(-2)?.parts.at(-1), {
            functionCall: { name: "get_weather", args: call.input },
          });
          assert.deepEqual(contents.at(-1)?.parts[0], {
            functionResponse: { name: "get_weather", response: { output: "18°C and sunny" } },
          });
        } else {
          const seen = body["messages"] as Record<string, unknown>[];
          const tool = seen.find((m) => m["role"] === "tool");
          assert.equal(tool?.["tool_call_id"], call.id);
        }
      });

      it("counts tokens without calling the upstream", async () => {
        const upstream = mockCallsFrom(gw);
        const counted = await client.messages.countTokens({
          model,
          system: "be brief",
          tools: [weather],
          messages: [{ role: "user", content: "how many tokens is this sentence?" }],
        });
        assert.ok(counted.input_tokens > 10, `counted ${counted.input_tokens}`);
        assert.deepEqual(upstream(), []);
      });
    });
  }

  describe("prompt caching", () => {
    const BETA = "prompt-caching-2024-07-31,extended-cache-ttl-2025-04-11";
    const hour = { type: "ephemeral", ttl: "1h" } as const;
    const caching = (model: string, marker: string): Anthropic.MessageCreateParamsNonStreaming => ({
      model,
      max_tokens: 200,
      system: [
        { type: "text", text: "You are a careful assistant." },
        { type: "text", text: "Long and stable instructions, worth caching.", cache_control: hour },
      ],
      tools: [{ ...weather, cache_control: { type: "ephemeral" } }],
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "A long document to read.", cache_control: { type: "ephemeral" } },
            { type: "text", text: `What does it say? [marker:${marker}]` },
          ],
        },
      ],
    });

    it("passes cache_control breakpoints and the beta and version headers to an Anthropic upstream", async () => {
      // The headers the SDK itself sent, to compare with what reached the upstream.
      let sent: Headers | undefined;
      const recording = new Anthropic({
        baseURL: gw.httpUrl.replace(/\/v1$/, ""),
        apiKey: KEYS.dev,
        maxRetries: 0,
        fetch: (url, init) => {
          sent = new Headers(init?.headers);
          return fetch(url, init);
        },
      });
      const msg = await recording.messages.create(caching("mock-claude", "cache-claude"), {
        headers: { "anthropic-beta": BETA },
      });
      assert.equal(msg.type, "message");
      const version = sent?.get("anthropic-version") ?? "";
      assert.notEqual(version, "", "the SDK sends anthropic-version");
      assert.equal(sent?.get("anthropic-beta"), BETA);

      const seen = seenBy(gw, "cache-claude");
      assert.equal(seen.provider, "anthropic");
      assert.equal(seen.headers["anthropic-version"], version);
      assert.equal(seen.headers["anthropic-beta"], BETA);
      assert.deepEqual(seen.body["system"], [
        { type: "text", text: "You are a careful assistant." },
        { type: "text", text: "Long and stable instructions, worth caching.", cache_control: hour },
      ]);
      const tools = seen.body["tools"] as Record<string, unknown>[];
      assert.equal(tools.length, 1);
      assert.equal(tools[0]?.["name"], "get_weather");
      assert.deepEqual(tools[0]?.["cache_control"], { type: "ephemeral" });
      assert.deepEqual(seen.body["messages"], [
        {
          role: "user",
          content: [
            { type: "text", text: "A long document to read.", cache_control: { type: "ephemeral" } },
            { type: "text", text: "What does it say? [marker:cache-claude]" },
          ],
        },
      ]);
    });

    it("leaves cache_control behind for an OpenAI-protocol upstream, which would refuse it", async () => {
      const msg = await client.messages.create(caching("mock-gpt", "cache-gpt"), {
        headers: { "anthropic-beta": BETA },
      });
      assert.equal(msg.type, "message");
      assert.equal(msg.stop_reason, "end_turn");
      const seen = seenBy(gw, "cache-gpt");
      assert.equal(seen.provider, "openai");
      assert.equal(seen.text.includes("cache_control"), false, `cache_control reached OpenAI: ${seen.text}`);
      assert.equal(seen.headers["anthropic-beta"], undefined);
      // The breakpoints' text is all there, only the hints are gone.
      const messages = seen.body["messages"] as { role: string }[];
      assert.deepEqual(
        messages.map((m) => m.role),
        ["system", "user"],
      );
      assert.match(seen.text, /Long and stable instructions, worth caching\./);
      assert.match(seen.text, /A long document to read\./);
    });

    /** A prompt with the mock's cache controls; digits only, so its token count is the same for any N, M < 10. */
    const cachePrompt = (read: number, write: number): Anthropic.MessageCreateParamsNonStreaming => ({
      model: "mock-claude",
      max_tokens: 100,
      system: [{ type: "text", text: "be brief", cache_control: { type: "ephemeral" } }],
      messages: [{ role: "user", content: `cache this [mock:cached=${read},cache_write=${write}]` }],
    });
    const READ = 4;
    const WRITE = 7;
    /** The request's usage event counts the whole prompt, with the cache reads and writes in it. */
    const assertUsageEvent = async (
      response: Response,
      prompt: number,
      completion: number,
    ): Promise<void> => {
      const requestId = response.headers.get("request-id") ?? "";
      const events = await waitForUsageEvents(gw.nc, gw.prefix, [requestId]);
      const usage = events.find((e) => e.requestId === requestId)?.usage;
      assert.equal(usage?.promptTokens, prompt);
      assert.equal(usage?.cachedTokens, READ);
      assert.equal(usage?.cacheWriteTokens, WRITE);
      assert.equal(usage?.completionTokens, completion);
    };

    it("keeps cache reads and writes exact in a message's usage and its usage event", async () => {
      // Without cache hits, input_tokens is the whole prompt as the upstream counted it.
      const whole = (await client.messages.create(cachePrompt(0, 0))).usage.input_tokens;
      assert.ok(whole > READ + WRITE, `the prompt has ${whole} tokens`);
      const { data: msg, response } = await client.messages.create(cachePrompt(READ, WRITE)).withResponse();
      assert.equal(msg.usage.cache_read_input_tokens, READ);
      assert.equal(msg.usage.cache_creation_input_tokens, WRITE);
      assert.deepEqual(msg.usage.cache_creation, {
        ephemeral_5m_input_tokens: WRITE,
        ephemeral_1h_input_tokens: 0,
      });
      assert.equal(msg.usage.input_tokens, whole - READ - WRITE);
      await assertUsageEvent(response, whole, msg.usage.output_tokens);
    });

    it("announces cache reads and writes at message_start and keeps them to the end of a stream", async () => {
      const whole = (await client.messages.create(cachePrompt(0, 0))).usage.input_tokens;
      const { data: stream, response } = await client.messages
        .create({ ...cachePrompt(READ, WRITE), stream: true })
        .withResponse();
      let start: Anthropic.Usage | undefined;
      let end: Anthropic.MessageDeltaUsage | undefined;
      for await (const event of stream) {
        if (event.type === "message_start") start = event.message.usage;
        if (event.type === "message_delta") end = event.usage;
      }
      // An Anthropic upstream reports the prompt side at its start: passed on as it is.
      assert.equal(start?.cache_read_input_tokens, READ);
      assert.equal(start?.cache_creation_input_tokens, WRITE);
      assert.equal(start?.input_tokens, whole - READ - WRITE);
      assert.equal(end?.cache_read_input_tokens, READ);
      assert.equal(end?.cache_creation_input_tokens, WRITE);
      assert.equal(end?.input_tokens, whole - READ - WRITE);
      assert.ok((end?.output_tokens ?? 0) > 0);
      await assertUsageEvent(response, whole, end?.output_tokens ?? 0);
    });
  });

  for (const model of ["mock-claude", "mock-gpt"]) {
    it(`ends a stream that fails after its first byte with an error event, never a clean end (${model})`, async () => {
      const body = {
        model,
        max_tokens: 200,
        stream: true,
        messages: [{ role: "user", content: "cut me short [mock:cut=3,words=30]" }],
      };
      const res = await fetch(`${gw.httpUrl}/messages`, {
        method: "POST",
        headers: {
          "x-api-key": KEYS.dev,
          "anthropic-version": "2023-06-01",
          "content-type": "application/json",
        },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 200);
      const text = await res.text();
      const events = sseEvents(text);
      assert.equal(events[0]?.event, "message_start");
      assert.ok(
        events.some((e) => e.event === "content_block_delta"),
        "the client got content before the failure",
      );
      assert.match(text, /^event: error$/m);
      assert.equal(events.at(-1)?.event, "error", `the last event: ${events.at(-1)?.event}`);
      const error = JSON.parse(events.at(-1)?.data ?? "{}") as { type: string; error: { type: string } };
      assert.equal(error.type, "error");
      assert.match(error.error.type, /_error$/);
      assert.ok(!events.some((e) => e.event === "message_stop" || e.event === "message_delta"));
      assert.equal(text.includes("[DONE]"), false);

      // The SDK's iteration rejects: the client knows the answer is incomplete.
      const stream = client.messages.stream({ ...body, stream: undefined } as Anthropic.MessageStreamParams);
      let deltas = 0;
      await assert.rejects(
        (async () => {
          for await (const event of stream) if (event.type === "content_block_delta") deltas++;
        })(),
        (err: unknown) => err instanceof Anthropic.APIError,
      );
      assert.ok(deltas >= 1, "the SDK saw content before the error");
    });
  }

  it("answers 529 overloaded_error when the only Anthropic deployment is overloaded", async () => {
    const upstream = mockCallsFrom(gw);
    const t0 = Date.now();
    const check = (err: unknown): boolean => {
      assert.ok(err instanceof Anthropic.APIError, String(err));
      assert.equal(err.status, 529);
      assert.equal((err.error as { type: string; error: { type: string } }).type, "error");
      assert.equal((err.error as { error: { type: string } }).error.type, "overloaded_error");
      return true;
    };
    const ask = { model: OVERLOADED, max_tokens: 10, messages: [{ role: "user" as const, content: "hi" }] };
    await assert.rejects(client.messages.create(ask), check);
    // A stream that fails before its first byte is a plain HTTP error too.
    await assert.rejects(client.messages.create({ ...ask, stream: true }), check);
    assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
    const calls = upstream();
    assert.ok(calls.length >= 2, "the upstream was called");
    for (const c of calls) assert.deepEqual([c.provider, c.status], ["anthropic", 529]);
  });

  /**
   * Sends an answer that called the tool back with the tool's result, thinking on, as Claude
   * Code does; returns what the upstream received (the marker names the request).
   */
  async function answerTheCall(prompt: string, answer: Anthropic.Message, marker: string) {
    const call = answer.content.find((b) => b.type === "tool_use");
    assert.ok(call?.type === "tool_use", "the answer called the tool");
    await client.messages.create({
      model: "mock-claude",
      max_tokens: 4000,
      thinking: { type: "enabled", budget_tokens: 2048 },
      tools: [weather],
      messages: [
        { role: "user", content: prompt },
        { role: "assistant", content: answer.content },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: call.id, content: "sunny" },
            { type: "text", text: `[marker:${marker}]` },
          ],
        },
      ],
    });
    return seenBy(gw, marker).body;
  }

  it("carries thinking out and back, with its signature, to an Anthropic upstream", async () => {
    const prompt = "think, then call the tool [mock:reasoning=6,tools=1]";
    const first = await client.messages.create({
      model: "mock-claude",
      max_tokens: 4000,
      thinking: { type: "enabled", budget_tokens: 2048 },
      tools: [weather],
      messages: [{ role: "user", content: prompt }],
    });
    const thinking = first.content.find((b) => b.type === "thinking");
    assert.ok(thinking !== undefined && thinking.type === "thinking", "the thinking block is returned");
    assert.match(thinking.thinking, /\w+/);
    assert.notEqual(thinking.signature, "");
    const back = await answerTheCall(prompt, first, "thinking-back");
    assert.deepEqual(back["thinking"], { type: "enabled", budget_tokens: 2048 });
    const assistant = (back["messages"] as { content: unknown[] }[])[1]?.content;
    assert.deepEqual(assistant?.[0], {
      type: "thinking",
      thinking: thinking.thinking,
      signature: thinking.signature,
    });
  });

  it("streams redacted thinking whole, and carries it back unchanged to an Anthropic upstream", async () => {
    const prompt = "think, then call the tool [mock:reasoning=4,redacted_thinking=1,tools=1]";
    const first = await client.messages
      .stream({
        model: "mock-claude",
        max_tokens: 4000,
        thinking: { type: "enabled", budget_tokens: 2048 },
        tools: [weather],
        messages: [{ role: "user", content: prompt }],
      })
      .finalMessage();
    assert.deepEqual(
      first.content.map((b) => b.type),
      ["thinking", "redacted_thinking", "tool_use"],
    );
    const [thinking, redacted] = first.content;
    assert.ok(
      thinking?.type === "thinking" && redacted?.type === "redacted_thinking" && redacted.data !== "",
    );
    const back = await answerTheCall(prompt, first, "redacted-back");
    const assistant = (back["messages"] as { content: unknown[] }[])[1]?.content;
    assert.deepEqual(assistant?.slice(0, 2), [
      { type: "thinking", thinking: thinking.thinking, signature: thinking.signature },
      { type: "redacted_thinking", data: redacted.data },
    ]);
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

// The official openai SDK's `responses.create` and the Vercel AI SDK's default provider (which
// calls /v1/responses) against the gateway's Responses door: text, streaming, a function-call
// round trip and structured output, through an OpenAI-protocol deployment and an Anthropic one.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { generateText, streamText } from "ai";
import OpenAI from "openai";
import { aiProvider, weatherToolLoop } from "./harness/ai-sdk.js";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";
import { CITY_FORMAT, WEATHER_RESPONSES_TOOL } from "./harness/sdk-requests.js";

const weather = WEATHER_RESPONSES_TOOL;

describe("Responses door against the gateway", () => {
  let gw: GatewayUnderTest;
  let client: OpenAI;

  before(async () => {
    gw = await startGateway();
    client = new OpenAI({ baseURL: gw.httpUrl, apiKey: KEYS.dev, maxRetries: 0 });
  });
  after(() => gw?.stop());

  for (const model of ["mock-gpt", "mock-claude"]) {
    describe(`openai SDK responses.create through ${model}`, () => {
      it("answers text", async () => {
        const res = await client.responses.create({
          model,
          instructions: "be brief",
          input: "hello there",
        });
        assert.equal(res.object, "response");
        assert.equal(res.status, "completed");
        assert.equal(res.model, model);
        assert.match(res.output_text, /\w+/);
        assert.ok((res.usage?.input_tokens ?? 0) > 0 && (res.usage?.output_tokens ?? 0) > 0);
      });

      it("streams the Responses events, ending in response.completed", async () => {
        const stream = await client.responses.create({ model, input: "stream a few words", stream: true });
        const types: string[] = [];
        let text = "";
        let completed: OpenAI.Responses.Response | undefined;
        for await (const event of stream) {
          types.push(event.type);
          if (event.type === "response.output_text.delta") text += event.delta;
          if (event.type === "response.completed") completed = event.response;
        }
        assert.equal(types[0], "response.created");
        assert.equal(types.at(-1), "response.completed");
        assert.ok(types.includes("response.output_item.added"));
        assert.match(text, /\w+/);
        assert.equal(completed?.output_text ?? text, text);
        assert.ok((completed?.usage?.output_tokens ?? 0) > 0);
      });

      it("makes a function-call round trip", async () => {
        const first = await client.responses.create({
          model,
          tools: [weather],
          input: "weather in Paris? [mock:tools=1]",
        });
        const call = first.output.find((o) => o.type === "function_call");
        assert.ok(call !== undefined && call.type === "function_call");
        assert.equal(call.name, "get_weather");
        assert.equal(typeof (JSON.parse(call.arguments) as { city: unknown }).city, "string");
        const second = await client.responses.create({
          model,
          tools: [weather],
          input: [
            { role: "user", content: "weather in Paris? [mock:tools=1]" },
            call,
            { type: "function_call_output", call_id: call.call_id, output: "18°C and sunny" },
          ],
        });
        assert.equal(second.status, "completed");
        assert.match(second.output_text, /\w+/);
      });

      it("answers structured output that parses against the schema", async () => {
        const res = await client.responses.create({
          model,
          input: "describe a city",
          text: { format: CITY_FORMAT },
        });
        const parsed = JSON.parse(res.output_text) as { name: unknown; population: unknown };
        assert.equal(typeof parsed.name, "string");
        assert.equal(typeof parsed.population, "number");
      });
    });
  }

  it("answers text through a Gemini deployment", async () => {
    const res = await client.responses.create({
      model: "mock-gemini",
      instructions: "be brief",
      input: "hello gemini [marker:responses-gemini]",
    });
    assert.equal(res.object, "response");
    assert.equal(res.status, "completed");
    assert.equal(res.model, "mock-gemini");
    assert.match(res.output_text, /^Mock reply from gemini: \w+/);
    assert.ok((res.usage?.input_tokens ?? 0) > 0 && (res.usage?.output_tokens ?? 0) > 0);
    const seen = gw.mock.requests().find((r) => r.marker === "responses-gemini");
    assert.equal(seen?.provider, "gemini");
    const body = JSON.parse(seen?.body ?? "{}") as Record<string, unknown>;
    assert.deepEqual(body["systemInstruction"], { parts: [{ text: "be brief" }] });
  });

  for (const model of ["mock-gpt", "mock-claude"]) {
    it(`ends a stream that fails after its first byte with an error event (${model})`, async () => {
      const input = "cut me short [mock:cut=3,words=30]";
      const raw = await fetch(`${gw.httpUrl}/responses`, {
        method: "POST",
        headers: { authorization: `Bearer ${KEYS.dev}`, "content-type": "application/json" },
        body: JSON.stringify({ model, input, stream: true }),
      });
      assert.equal(raw.status, 200);
      const text = await raw.text();
      const names = [...text.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
      assert.equal(names[0], "response.created");
      assert.ok(names.includes("response.output_text.delta"), "content came before the failure");
      assert.equal(names.at(-1), "error", `the last event: ${names.at(-1)}`);
      assert.ok(!names.includes("response.completed"));
      assert.equal(text.includes("[DONE]"), false);

      const stream = await client.responses.create({ model, input, stream: true });
      let deltas = 0;
      await assert.rejects(
        (async () => {
          for await (const event of stream) if (event.type === "response.output_text.delta") deltas++;
        })(),
        (err: unknown) => err instanceof OpenAI.APIError,
      );
      assert.ok(deltas >= 1, "the SDK saw content before the error");
    });
  }

  it("names the field at fault: an unknown previous_response_id (404), an empty input (400)", async () => {
    await assert.rejects(
      client.responses.create({ model: "mock-gpt", input: "again", previous_response_id: "resp_123" }),
      (err: unknown) => err instanceof OpenAI.NotFoundError && err.param === "previous_response_id",
    );
    await assert.rejects(
      client.responses.create({ model: "mock-gpt", input: [] }),
      (err: unknown) => err instanceof OpenAI.BadRequestError && err.param === "input",
    );
  });

  describe("Vercel AI SDK, default provider path (openai(model) → /v1/responses)", () => {
    const provider = () => aiProvider(gw.httpUrl, KEYS.dev);

    it("generates text", async () => {
      const { text, usage, finishReason } = await generateText({
        model: provider()("mock-gpt"),
        prompt: "hello from the AI SDK",
        maxRetries: 0,
      });
      assert.match(text, /\w+/);
      assert.equal(finishReason, "stop");
      assert.ok((usage.inputTokens ?? 0) > 0 && (usage.outputTokens ?? 0) > 0);
      const seen = gw.mock.requests().at(-1);
      assert.equal(seen?.path.endsWith("/chat/completions"), true, "the upstream got a chat call");
    });

    it("streams text", async () => {
      const result = streamText({
        model: provider()("mock-claude"),
        prompt: "stream from the AI SDK",
        maxRetries: 0,
      });
      let text = "";
      for await (const piece of result.textStream) text += piece;
      assert.match(text, /\w+/);
      assert.equal(await result.finishReason, "stop");
    });

    it("calls a tool and goes on with its result", async () => {
      const { steps, text } = await weatherToolLoop(
        provider()("mock-gpt"),
        "weather in Rome? [mock:tools=1]",
      );
      assert.equal(steps[0]?.toolCalls[0]?.toolName, "get_weather");
      assert.equal(steps.length, 2);
      assert.match(text, /\w+/);
    });
  });
});

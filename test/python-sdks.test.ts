// The official Python SDKs (openai, anthropic), pointed at the gateway, work by changing only the
// base URL and key, as the Node SDKs do (openai-sdk, responses-sdk and anthropic-sdk tests): chat
// unary, streamed and with tools, embeddings in the SDK's default base64, the Responses door, and
// the Anthropic door through an Anthropic deployment and an OpenAI-protocol one. The calls run in
// one Python process (harness/python-sdk.ts); what the SDK parsed comes back here to be checked.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type Anthropic from "@anthropic-ai/sdk";
import type OpenAI from "openai";
import { repoRoot } from "./harness/env.js";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";
import {
  CITY_FORMAT,
  WEATHER_ANTHROPIC_TOOL,
  WEATHER_CHAT_TOOL,
  WEATHER_RESPONSES_TOOL,
} from "./harness/sdk-requests.js";
import { mockCallsFrom, seenBy } from "./harness/mock-seen.js";
import {
  startPythonSdks,
  type PythonCall,
  type PythonSdkError,
  type PythonSdks,
} from "./harness/python-sdk.js";
import { waitForUsageEvents } from "./harness/usage-events.js";

type Call = Omit<PythonCall, "sdk" | "base_url" | "api_key"> & { key?: string };

const chatWeather = WEATHER_CHAT_TOOL;
const responsesWeather = WEATHER_RESPONSES_TOOL;
const anthropicWeather = WEATHER_ANTHROPIC_TOOL;

/** The version requirements-test.txt pins for a Python package. */
function pinned(pkg: string): string | undefined {
  const text = readFileSync(join(repoRoot(), "deploy", "local", "requirements-test.txt"), "utf8");
  return new RegExp(`^${pkg}==(\\S+)$`, "m").exec(text)?.[1];
}

/** True when `want` appears in `seen` in order, other items allowed between. */
function inOrder(seen: readonly string[], want: readonly string[]): boolean {
  let at = 0;
  for (const s of seen) if (s === want[at]) at++;
  return at === want.length;
}

/** A Response's text, assembled from its output items (what the SDK's output_text does). */
const responseText = (res: OpenAI.Responses.Response): string =>
  res.output
    .flatMap((o) => (o.type === "message" ? o.content : []))
    .map((c) => (c.type === "output_text" ? c.text : ""))
    .join("");

const messageText = (msg: Anthropic.Message): string =>
  msg.content.map((b) => (b.type === "text" ? b.text : "")).join("");

describe("official Python SDKs against the gateway", () => {
  let gw: GatewayUnderTest;
  let py: PythonSdks;

  before(async () => {
    py = await startPythonSdks();
    gw = await startGateway();
  });
  after(async () => {
    await py?.close();
    await gw?.stop();
  });

  /** The SDK's answer to a call it must answer; a raised error fails the test with its text. */
  async function answer<T>(sdk: PythonCall["sdk"], req: Call): Promise<T> {
    const res = await py.call(target(sdk, req));
    if (!res.ok) assert.fail(`${req.call} raised ${res.error.class}: ${res.error.message}`);
    return res.value as T;
  }

  /** The error the SDK raised for a call it must refuse. */
  async function raised(sdk: PythonCall["sdk"], req: Call): Promise<PythonSdkError> {
    const res = await py.call(target(sdk, req));
    assert.ok(!res.ok, `${req.call} answered ${JSON.stringify(res.ok && res.value)}`);
    return res.error;
  }

  function target(sdk: PythonCall["sdk"], { key, ...req }: Call): PythonCall {
    // The OpenAI SDK appends /chat/completions to a base URL ending in /v1; the Anthropic SDK
    // appends /v1/messages to the server's root.
    const base_url = sdk === "openai" ? gw.httpUrl : gw.httpUrl.replace(/\/v1$/, "");
    return { sdk, base_url, api_key: key ?? KEYS.dev, ...req };
  }

  it("runs the SDK versions requirements-test.txt pins", () => {
    // A stale .venv would otherwise test other SDKs than the ones named.
    assert.deepEqual(py.versions, { openai: pinned("openai"), anthropic: pinned("anthropic") });
  });

  describe("openai: chat completions and embeddings", () => {
    it("chats", async () => {
      const res = await answer<OpenAI.ChatCompletion>("openai", {
        call: "chat.completions.create",
        args: { model: "mock-gpt", messages: [{ role: "user", content: "hello there" }] },
      });
      assert.equal(res.object, "chat.completion");
      assert.equal(res.model, "mock-gpt");
      assert.match(res.choices[0]?.message.content ?? "", /\w+/);
      assert.equal(res.choices[0]?.finish_reason, "stop");
      assert.ok((res.usage?.prompt_tokens ?? 0) > 0 && (res.usage?.completion_tokens ?? 0) > 0);
    });

    it("streams chat, with exactly one usage chunk, at the end", async () => {
      const { events } = await answer<{ events: OpenAI.ChatCompletionChunk[] }>("openai", {
        call: "chat.completions.create",
        args: {
          model: "mock-gpt",
          messages: [{ role: "user", content: "stream please" }],
          stream: true,
          stream_options: { include_usage: true },
        },
        mode: "iterate",
      });
      assert.ok(events.length > 2, `got ${events.length} chunks`);
      const text = events.map((c) => c.choices[0]?.delta.content ?? "").join("");
      assert.match(text, /\w+ \w+/);
      const finish = events.map((c) => c.choices[0]?.finish_reason).filter((f) => f != null);
      assert.deepEqual(finish, ["stop"]);
      const withUsage = events.filter((c) => c.usage != null);
      assert.equal(withUsage.length, 1, "one chunk carries the usage");
      const last = events.at(-1);
      assert.equal(withUsage[0], last, "the usage chunk is the last");
      assert.deepEqual(last?.choices, []);
      assert.ok((last?.usage?.prompt_tokens ?? 0) > 0 && (last?.usage?.completion_tokens ?? 0) > 0);
      assert.equal(new Set(events.map((c) => c.id)).size, 1, "every chunk has the stream's id");
    });

    it("keeps the content and usage in the completion the SDK's stream helper assembles", async () => {
      const { events, final } = await answer<{ events: unknown[]; final: OpenAI.ChatCompletion }>("openai", {
        call: "chat.completions.stream",
        args: {
          model: "mock-gpt",
          messages: [{ role: "user", content: "stream please" }],
          stream_options: { include_usage: true },
        },
        mode: "final",
      });
      const deltas = (events as { type: string; delta?: string }[])
        .filter((e) => e.type === "content.delta")
        .map((e) => e.delta ?? "")
        .join("");
      assert.match(deltas, /\w+/);
      assert.equal(final.choices[0]?.message.content, deltas);
      assert.ok((final.usage?.completion_tokens ?? 0) > 0);
    });

    it("makes a tool round trip", async () => {
      const prompt = "weather in Paris? [mock:tools=1] [marker:py-chat-tool]";
      const first = await answer<OpenAI.ChatCompletion>("openai", {
        call: "chat.completions.create",
        args: { model: "mock-gpt", tools: [chatWeather], messages: [{ role: "user", content: prompt }] },
      });
      const message = first.choices[0]?.message;
      assert.equal(first.choices[0]?.finish_reason, "tool_calls");
      assert.equal(message?.tool_calls?.length, 1);
      const call = message?.tool_calls?.[0];
      assert.ok(call?.type === "function");
      assert.equal(call.function.name, "get_weather");
      assert.equal(typeof (JSON.parse(call.function.arguments) as { city: unknown }).city, "string");
      // The assistant message goes back as the SDK parsed it, as `messages.append(message)` does.
      const second = await answer<OpenAI.ChatCompletion>("openai", {
        call: "chat.completions.create",
        args: {
          model: "mock-gpt",
          tools: [chatWeather],
          messages: [
            { role: "user", content: prompt },
            message,
            { role: "tool", tool_call_id: call.id, content: "18°C and sunny" },
          ],
        },
      });
      assert.equal(second.choices[0]?.finish_reason, "stop");
      assert.match(second.choices[0]?.message.content ?? "", /\w+/);
      const seen = seenBy(gw, "py-chat-tool").body["messages"] as Record<string, unknown>[];
      assert.deepEqual(
        seen.map((m) => m["role"]),
        ["user", "assistant", "tool"],
      );
      assert.equal((seen[1]?.["tool_calls"] as { id: string }[])[0]?.id, call.id);
      assert.equal(seen[2]?.["tool_call_id"], call.id);
      assert.equal(seen[2]?.["content"], "18°C and sunny");
    });

    it("embeds, in the SDK's default base64 as in float", async () => {
      const input = ["alpha", "beta"];
      // Without an encoding_format the SDK asks for base64 and decodes the float32 bytes itself.
      const packed = await answer<OpenAI.CreateEmbeddingResponse>("openai", {
        call: "embeddings.create",
        args: { model: "mock-embed", input },
      });
      const floats = await answer<OpenAI.CreateEmbeddingResponse>("openai", {
        call: "embeddings.create",
        args: { model: "mock-embed", input, encoding_format: "float" },
      });
      assert.equal(packed.data.length, 2);
      assert.ok((packed.usage?.prompt_tokens ?? 0) > 0);
      const [a, b] = packed.data;
      assert.ok(Array.isArray(a?.embedding) && a.embedding.length > 0, JSON.stringify(a));
      assert.notDeepEqual(a.embedding, b?.embedding);
      // Asked for explicitly, base64 is what the SDK hands over: the gateway honours the format.
      const asked = await answer<{ data: { embedding: unknown }[] }>("openai", {
        call: "embeddings.create",
        args: { model: "mock-embed", input, encoding_format: "base64" },
      });
      assert.match(String(asked.data[0]?.embedding), /^[A-Za-z0-9+/]+=*$/);
      packed.data.forEach((d, i) => {
        const want = floats.data[i]?.embedding ?? [];
        assert.equal(d.embedding.length, want.length);
        d.embedding.forEach((x, j) => assert.ok(Math.abs(x - (want[j] ?? NaN)) < 1e-6, `[${i}][${j}]`));
      });
    });

    it("raises AuthenticationError for a bad key and NotFoundError for an unknown model", async () => {
      const bad = await raised("openai", {
        key: "wrong",
        call: "chat.completions.create",
        args: { model: "mock-gpt", messages: [{ role: "user", content: "x" }] },
      });
      assert.deepEqual([bad.class, bad.status_code], ["AuthenticationError", 401]);
      const unknown = await raised("openai", {
        call: "chat.completions.create",
        args: { model: "no-such-model", messages: [{ role: "user", content: "x" }] },
      });
      assert.deepEqual([unknown.class, unknown.status_code], ["NotFoundError", 404]);
      // The SDK reads OpenAI's error shape: its body is the `error` object.
      assert.equal(
        typeof (unknown.body as { message?: unknown }).message,
        "string",
        JSON.stringify(unknown.body),
      );
    });
  });

  for (const model of ["mock-gpt", "mock-claude"]) {
    describe(`openai: responses through ${model}`, () => {
      it("answers text", async () => {
        const res = await answer<OpenAI.Responses.Response>("openai", {
          call: "responses.create",
          args: { model, instructions: "be brief", input: "hello there" },
        });
        assert.equal(res.object, "response");
        assert.equal(res.status, "completed");
        assert.equal(res.model, model);
        assert.match(res.output_text, /\w+/);
        assert.ok((res.usage?.input_tokens ?? 0) > 0 && (res.usage?.output_tokens ?? 0) > 0);
      });

      it("streams the Responses events in order, numbered, ending in response.completed", async () => {
        const { events } = await answer<{ events: OpenAI.Responses.ResponseStreamEvent[] }>("openai", {
          call: "responses.create",
          args: { model, input: "stream a few words", stream: true },
          mode: "iterate",
        });
        const types = events.map((e) => e.type);
        assert.equal(types[0], "response.created");
        assert.equal(types.at(-1), "response.completed");
        const milestones = [
          "response.created",
          "response.output_item.added",
          "response.content_part.added",
          "response.output_text.delta",
          "response.output_text.done",
          "response.content_part.done",
          "response.output_item.done",
          "response.completed",
        ];
        assert.ok(inOrder(types, milestones), types.join(" "));
        const numbers = events.map((e) => e.sequence_number);
        numbers.forEach((n, i) => assert.ok(i === 0 || n > (numbers[i - 1] ?? Infinity), numbers.join(",")));
        let text = "";
        for (const e of events) if (e.type === "response.output_text.delta") text += e.delta;
        assert.match(text, /\w+/);
        const completed = events.at(-1);
        assert.ok(completed?.type === "response.completed");
        assert.equal(responseText(completed.response), text);
        assert.ok((completed.response.usage?.output_tokens ?? 0) > 0);
      });

      it("assembles the streamed text in the SDK's responses.stream helper", async () => {
        const { events, final } = await answer<{
          events: OpenAI.Responses.ResponseStreamEvent[];
          final: OpenAI.Responses.Response;
        }>("openai", {
          call: "responses.stream",
          args: { model, input: "stream a few words" },
          mode: "final",
        });
        let text = "";
        for (const e of events) if (e.type === "response.output_text.delta") text += e.delta;
        assert.equal(final.status, "completed");
        assert.match(final.output_text, /\w+ \w+/);
        assert.equal(final.output_text, text);
        assert.ok((final.usage?.output_tokens ?? 0) > 0);
      });

      it("makes a function-call round trip", async () => {
        const marker = `py-responses-tool-${model}`;
        const prompt = `weather in Paris? [mock:tools=1] [marker:${marker}]`;
        const first = await answer<OpenAI.Responses.Response>("openai", {
          call: "responses.create",
          args: { model, tools: [responsesWeather], input: prompt },
        });
        const call = first.output.find((o) => o.type === "function_call");
        assert.ok(call?.type === "function_call", JSON.stringify(first.output));
        assert.equal(call.name, "get_weather");
        assert.equal(typeof (JSON.parse(call.arguments) as { city: unknown }).city, "string");
        // The call item goes back as the SDK parsed it, as `input += response.output` does.
        const second = await answer<OpenAI.Responses.Response>("openai", {
          call: "responses.create",
          args: {
            model,
            tools: [responsesWeather],
            input: [
              { role: "user", content: prompt },
              call,
              { type: "function_call_output", call_id: call.call_id, output: "18°C and sunny" },
            ],
          },
        });
        assert.equal(second.status, "completed");
        assert.ok(!second.output.some((o) => o.type === "function_call"), "answered, no new call");
        assert.match(second.output_text, /\w+/);
        const messages = seenBy(gw, marker).body["messages"] as Record<string, unknown>[];
        if (model === "mock-claude") {
          const result = (messages.at(-1)?.["content"] as Record<string, unknown>[])[0];
          assert.deepEqual(result, {
            type: "tool_result",
            tool_use_id: call.call_id,
            content: "18°C and sunny",
          });
        } else {
          const tool = messages.at(-1);
          assert.deepEqual([tool?.["role"], tool?.["tool_call_id"]], ["tool", call.call_id]);
          assert.equal(tool?.["content"], "18°C and sunny");
        }
      });

      it("answers structured output that parses against the schema", async () => {
        const res = await answer<OpenAI.Responses.Response>("openai", {
          call: "responses.create",
          args: {
            model,
            input: "describe a city",
            text: { format: CITY_FORMAT },
          },
        });
        const parsed = JSON.parse(res.output_text) as Record<string, unknown>;
        assert.deepEqual(Object.keys(parsed).sort(), ["name", "population"]);
        assert.equal(typeof parsed["name"], "string");
        assert.ok(Number.isInteger(parsed["population"]), res.output_text);
      });
    });
  }

  for (const model of ["mock-claude", "mock-gpt"]) {
    describe(`anthropic: messages through ${model}`, () => {
      it("answers a message, with its usage event", async () => {
        const { headers, data: msg } = await answer<{
          headers: Record<string, string>;
          data: Anthropic.Message;
        }>("anthropic", {
          call: "messages.create",
          args: {
            model,
            max_tokens: 200,
            system: "be brief",
            messages: [{ role: "user", content: "hello there" }],
          },
          mode: "raw",
        });
        assert.equal(msg.type, "message");
        assert.equal(msg.role, "assistant");
        assert.equal(msg.model, model);
        assert.match(msg.id, /^msg_/);
        assert.equal(msg.stop_reason, "end_turn");
        assert.match(messageText(msg), /\w+/);
        assert.ok(msg.usage.input_tokens > 0 && msg.usage.output_tokens > 0);
        const requestId = headers["request-id"] ?? "";
        assert.notEqual(requestId, "", "a request-id header");
        const events = await waitForUsageEvents(gw.nc, gw.prefix, [requestId]);
        assert.equal(
          events.find((e) => e.requestId === requestId)?.usage?.completionTokens,
          msg.usage.output_tokens,
        );
      });

      it("streams with messages.stream: the final message is the text deltas, joined", async () => {
        const { events, final } = await answer<{
          events: Anthropic.MessageStreamEvent[];
          final: Anthropic.Message;
        }>("anthropic", {
          call: "messages.stream",
          args: {
            model,
            max_tokens: 200,
            messages: [{ role: "user", content: "stream a few words please" }],
          },
          mode: "final",
        });
        const types = events.map((e) => e.type);
        assert.equal(types[0], "message_start");
        assert.equal(types.at(-1), "message_stop");
        let text = "";
        for (const e of events)
          if (e.type === "content_block_delta" && e.delta.type === "text_delta") text += e.delta.text;
        assert.match(text, /\w+ \w+/);
        assert.equal(messageText(final), text);
        assert.equal(final.stop_reason, "end_turn");
        assert.ok(final.usage.input_tokens > 0 && final.usage.output_tokens > 0);
      });

      it("makes a tool round trip", async () => {
        const prompt = "weather in Paris? [mock:tools=1]";
        const first = await answer<Anthropic.Message>("anthropic", {
          call: "messages.create",
          args: {
            model,
            max_tokens: 300,
            tools: [anthropicWeather],
            messages: [{ role: "user", content: prompt }],
          },
        });
        assert.equal(first.stop_reason, "tool_use");
        const call = first.content.find((b) => b.type === "tool_use");
        assert.ok(call?.type === "tool_use", JSON.stringify(first.content));
        assert.equal(call.name, "get_weather");
        assert.equal(typeof (call.input as { city: unknown }).city, "string");
        const marker = `py-anthropic-tool-${model}`;
        const second = await answer<Anthropic.Message>("anthropic", {
          call: "messages.create",
          args: {
            model,
            max_tokens: 300,
            tools: [anthropicWeather],
            messages: [
              { role: "user", content: prompt },
              { role: "assistant", content: first.content },
              {
                role: "user",
                content: [
                  { type: "tool_result", tool_use_id: call.id, content: "18°C and sunny" },
                  { type: "text", text: `thanks [marker:${marker}]` },
                ],
              },
            ],
          },
        });
        assert.equal(second.stop_reason, "end_turn");
        assert.match(messageText(second), /\w+/);
        const messages = seenBy(gw, marker).body["messages"] as Record<string, unknown>[];
        if (model === "mock-claude") {
          const last = messages.at(-1)?.["content"] as Record<string, unknown>[];
          assert.deepEqual(last[0], { type: "tool_result", tool_use_id: call.id, content: "18°C and sunny" });
        } else {
          const tool = messages.find((m) => m["role"] === "tool");
          assert.deepEqual([tool?.["tool_call_id"], tool?.["content"]], [call.id, "18°C and sunny"]);
        }
      });

      it("counts tokens without calling the upstream", async () => {
        const upstream = mockCallsFrom(gw);
        const counted = await answer<Anthropic.MessageTokensCount>("anthropic", {
          call: "messages.count_tokens",
          args: {
            model,
            system: "be brief",
            tools: [anthropicWeather],
            messages: [{ role: "user", content: "how many tokens is this sentence?" }],
          },
        });
        assert.ok(counted.input_tokens > 10, `counted ${counted.input_tokens}`);
        assert.deepEqual(upstream(), []);
      });

      it("raises AuthenticationError for a bad key", async () => {
        const err = await raised("anthropic", {
          key: "wrong",
          call: "messages.create",
          args: { model, max_tokens: 10, messages: [{ role: "user", content: "x" }] },
        });
        assert.deepEqual([err.class, err.status_code], ["AuthenticationError", 401]);
        const body = err.body as { type: string; error: { type: string } };
        assert.deepEqual([body.type, body.error.type], ["error", "authentication_error"]);
      });
    });
  }

  it("anthropic: raises NotFoundError for an unknown model", async () => {
    const err = await raised("anthropic", {
      call: "messages.create",
      args: { model: "claude-nope", max_tokens: 10, messages: [{ role: "user", content: "x" }] },
    });
    assert.deepEqual([err.class, err.status_code], ["NotFoundError", 404]);
    assert.equal((err.body as { error: { type: string } }).error.type, "not_found_error");
  });
});

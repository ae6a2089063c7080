// The official `openai` npm SDK, pointed at the gateway, works by changing only the base URL
// and key: chat, streaming with usage, tool calls, JSON mode, embeddings, models, typed errors.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import OpenAI from "openai";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";
import { WEATHER_CHAT_TOOL } from "./harness/sdk-requests.js";

const weather = WEATHER_CHAT_TOOL;

describe("openai SDK against the gateway", () => {
  let gw: GatewayUnderTest;
  let client: OpenAI;

  before(async () => {
    gw = await startGateway();
    client = new OpenAI({ baseURL: gw.httpUrl, apiKey: KEYS.dev, maxRetries: 0 });
  });
  after(() => gw?.stop());

  it("chats", async () => {
    const res = await client.chat.completions.create({
      model: "mock-gpt",
      messages: [{ role: "user", content: "hello there" }],
    });
    assert.equal(res.object, "chat.completion");
    assert.equal(res.model, "mock-gpt");
    assert.match(res.choices[0]?.message.content ?? "", /\w+/);
    assert.equal(res.choices[0]?.finish_reason, "stop");
    assert.ok((res.usage?.prompt_tokens ?? 0) > 0);
    assert.ok((res.usage?.completion_tokens ?? 0) > 0);
  });

  it("reports the per-stage timing and echoes the request id", async () => {
    const { response } = await client.chat.completions
      .create(
        { model: "mock-gpt", messages: [{ role: "user", content: "timing" }] },
        { headers: { "x-request-id": "req-timing-1" } },
      )
      .withResponse();
    assert.equal(response.headers.get("x-request-id"), "req-timing-1");
    const timing = response.headers.get("x-switchyard-timing") ?? "";
    for (const stage of ["ingress", "guard", "router", "meter", "provider", "upstream"])
      assert.match(timing, new RegExp(`${stage};dur=\\d`));
  });

  it("streams chat with a final usage chunk", async () => {
    const stream = await client.chat.completions.create({
      model: "mock-gpt",
      messages: [{ role: "user", content: "stream please" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let chunks = 0;
    let usage: OpenAI.CompletionUsage | undefined | null;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.ok(chunks > 2, `got ${chunks} chunks`);
    assert.match(text, /\w+/);
    assert.equal(finish, "stop");
    assert.ok((usage?.completion_tokens ?? 0) > 0, "usage chunk with completion tokens");
  });

  it("keeps the usage in the completion the SDK's stream helper assembles", async () => {
    const final = await client.chat.completions
      .stream({
        model: "mock-gpt",
        messages: [{ role: "user", content: "stream please" }],
        stream_options: { include_usage: true },
      })
      .finalChatCompletion();
    assert.ok((final.usage?.completion_tokens ?? 0) > 0, "the usage chunk carries the stream's id");
  });

  it("returns tool calls, not streamed", async () => {
    const res = await client.chat.completions.create({
      model: "mock-gpt",
      messages: [{ role: "user", content: "weather in Paris and Rome [mock:tools=2]" }],
      tools: [weather],
      tool_choice: "required",
    });
    const calls = res.choices[0]?.message.tool_calls ?? [];
    assert.equal(res.choices[0]?.finish_reason, "tool_calls");
    assert.equal(calls.length, 2);
    for (const c of calls) {
      assert.equal(c.type, "function");
      if (c.type !== "function") continue;
      assert.equal(c.function.name, "get_weather");
      assert.equal(typeof (JSON.parse(c.function.arguments) as { city: unknown }).city, "string");
    }
  });

  it("streams tool calls with their arguments in pieces", async () => {
    const stream = await client.chat.completions.create({
      model: "mock-gpt",
      messages: [{ role: "user", content: "weather in two cities [mock:tools=2]" }],
      tools: [weather],
      tool_choice: "required",
      stream: true,
    });
    const args = new Map<number, string>();
    const names = new Map<number, string>();
    let pieces = 0;
    for await (const chunk of stream) {
      for (const t of chunk.choices[0]?.delta.tool_calls ?? []) {
        if (t.function?.name) names.set(t.index, t.function.name);
        if (t.function?.arguments) {
          pieces++;
          args.set(t.index, (args.get(t.index) ?? "") + t.function.arguments);
        }
      }
    }
    assert.equal(names.size, 2);
    assert.ok(pieces > 2, "arguments arrive in several pieces");
    for (const a of args.values()) assert.equal(typeof (JSON.parse(a) as { city: unknown }).city, "string");
  });

  // Reasoning text used to be dropped from non-streamed answers (it only reached streams).
  for (const model of ["mock-claude", "mock-compat"]) {
    it(`returns the reasoning text in a non-streamed answer (${model})`, async () => {
      const res = await client.chat.completions.create({
        model,
        reasoning_effort: "low",
        messages: [{ role: "user", content: "think first [mock:reasoning=5]" }],
      });
      const message = res.choices[0]?.message;
      const reasoning = (message as unknown as { reasoning_content?: string } | undefined)?.reasoning_content;
      assert.equal(typeof reasoning, "string", `no reasoning_content in ${JSON.stringify(message)}`);
      // The mock reasons in as many words as asked for.
      assert.equal(reasoning?.trim().split(/\s+/).length, 5, reasoning);
      assert.match(message?.content ?? "", /\w+/);
      // Anthropic counts thinking in output_tokens without a separate figure; OpenAI-style usage has one.
      if (model === "mock-compat") assert.equal(res.usage?.completion_tokens_details?.reasoning_tokens, 5);
    });
  }

  it("answers JSON mode with a JSON object", async () => {
    const res = await client.chat.completions.create({
      model: "mock-gpt",
      messages: [{ role: "user", content: "give me json" }],
      response_format: { type: "json_object" },
    });
    const parsed = JSON.parse(res.choices[0]?.message.content ?? "") as unknown;
    assert.equal(typeof parsed, "object");
  });

  it("embeds", async () => {
    const res = await client.embeddings.create({ model: "mock-embed", input: ["alpha", "beta"] });
    assert.equal(res.data.length, 2);
    assert.ok((res.data[0]?.embedding.length ?? 0) > 0);
    assert.notDeepEqual(res.data[0]?.embedding, res.data[1]?.embedding);
  });

  it("embeds token-id input: one array, and a list of arrays, one vector per input", async () => {
    const one = await client.embeddings.create({ model: "mock-embed", input: [15339, 1917] });
    assert.equal(one.data.length, 1);
    const text = await client.embeddings.create({ model: "mock-embed", input: "hello world" });
    assert.deepEqual(one.data[0]?.embedding, text.data[0]?.embedding, "the ids are the text they encode");
    const many = await client.embeddings.create({ model: "mock-embed", input: [[15339], [1917], [0, 1]] });
    assert.deepEqual(
      many.data.map((d) => d.index),
      [0, 1, 2],
    );
    const bad = await fetch(`${gw.httpUrl}/embeddings`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEYS.dev}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "mock-embed", input: [[1], [99999999]] }),
    });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { param: string } }).error.param, "input[1]");
  });

  it("lists and retrieves models", async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.ok(ids.includes("mock-gpt") && ids.includes("mock-embed"));
    assert.equal((await client.models.retrieve("mock-claude")).id, "mock-claude");
    // A model id that is not valid percent-encoding is the client's error, not a crash (found by
    // the door fuzzer: it answered 500).
    const res = await fetch(`${gw.httpUrl}/models/%ff`, { headers: { authorization: `Bearer ${KEYS.dev}` } });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /percent-encoding/);
  });

  it("gives typed errors: 401, 404, 400, 413, 403, 429", async () => {
    const bad = new OpenAI({ baseURL: gw.httpUrl, apiKey: "wrong", maxRetries: 0 });
    await assert.rejects(bad.models.list(), OpenAI.AuthenticationError);
    await assert.rejects(
      client.chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "x" }] }),
      OpenAI.NotFoundError,
    );
    await assert.rejects(
      client.chat.completions.create({
        model: "mock-gpt",
        messages: [{ role: "wizard" as "user", content: "x" }],
      }),
      (err: unknown) => err instanceof OpenAI.BadRequestError && /messages\[0\]\.role/.test(err.message),
    );
    await assert.rejects(
      client.chat.completions.create({
        model: "mock-gpt",
        messages: [{ role: "user", content: "x".repeat(9 * 1024 * 1024) }],
      }),
      (err: unknown) => err instanceof OpenAI.APIError && err.status === 413,
    );
    // Without a Content-Length the limit is found while reading; the client still reads the 413.
    const chunk = new TextEncoder().encode("x".repeat(1024 * 1024));
    let sent = 0;
    const chunked = await fetch(`${gw.httpUrl}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEYS.dev}`, "content-type": "application/json" },
      body: new ReadableStream({
        pull: (c) => (sent++ < 12 ? c.enqueue(chunk) : c.close()),
      }),
      duplex: "half",
    });
    assert.equal(chunked.status, 413);
    const restricted = new OpenAI({ baseURL: gw.httpUrl, apiKey: KEYS.restricted, maxRetries: 0 });
    await assert.rejects(
      restricted.chat.completions.create({
        model: "mock-claude",
        messages: [{ role: "user", content: "x" }],
      }),
      OpenAI.PermissionDeniedError,
    );
    const limited = new OpenAI({ baseURL: gw.httpUrl, apiKey: KEYS.limited, maxRetries: 0 });
    const ask = () =>
      limited.chat.completions.create({ model: "mock-gpt", messages: [{ role: "user", content: "x" }] });
    await ask();
    await ask();
    await assert.rejects(ask(), (err: unknown) => {
      assert.ok(err instanceof OpenAI.RateLimitError);
      assert.ok(Number(err.headers?.get("retry-after")) >= 1, "Retry-After header");
      return true;
    });
  });
});

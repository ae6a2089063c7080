/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call --
   Wire-shape assertions read untyped vendor JSON; typing every vendor body here would only restate the assertions. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { jsonEvents, parseSse, postJson, useMock, weatherTool } from "./spec-helpers.js";

const ctx = useMock();
const auth = { authorization: "Bearer mock-openai-key" };
const tools = [{ type: "function", function: { name: weatherTool.name, parameters: weatherTool.schema } }];

describe("openai protocol", () => {
  it("answers a chat completion in OpenAI's shape, deterministically", async () => {
    const body = { model: "mock-gpt", messages: [{ role: "user", content: "Hello there" }] };
    const res = await postJson(`${ctx.mock.url}/openai/v1/chat/completions`, body, auth);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-mock-provider"), "true");
    const json = (await res.json()) as any;
    assert.equal(json.object, "chat.completion");
    assert.match(json.id, /^chatcmpl-/);
    assert.equal(json.choices[0].message.role, "assistant");
    assert.match(json.choices[0].message.content, /^Mock reply from openai: /);
    assert.equal(json.choices[0].finish_reason, "stop");
    assert.equal(json.usage.total_tokens, json.usage.prompt_tokens + json.usage.completion_tokens);
    const again = (await (
      await postJson(`${ctx.mock.url}/openai/v1/chat/completions`, body, auth)
    ).json()) as any;
    assert.equal(again.choices[0].message.content, json.choices[0].message.content);
    assert.deepEqual(again.usage, json.usage);
  });

  it("refuses a prompt over `context_window` with OpenAI's context_length_exceeded", async () => {
    const long = { model: "mock-gpt", messages: [{ role: "user", content: "word ".repeat(400) }] };
    const res = await postJson(
      `${ctx.mock.url}/_mock/context_window=100/openai/v1/chat/completions`,
      long,
      auth,
    );
    assert.equal(res.status, 400);
    const json = (await res.json()) as any;
    assert.equal(json.error.code, "context_length_exceeded");
    assert.match(json.error.message, /maximum context length is 100 tokens/);
    const short = { ...long, messages: [{ role: "user", content: "hi" }] };
    const ok = await postJson(
      `${ctx.mock.url}/_mock/context_window=100/openai/v1/chat/completions`,
      short,
      auth,
    );
    assert.equal(ok.status, 200);
    const filtered = await postJson(
      `${ctx.mock.url}/_mock/content_filter=1/openai/v1/chat/completions`,
      short,
      auth,
    );
    assert.equal(filtered.status, 400);
    assert.equal(((await filtered.json()) as any).error.code, "content_filter");
  });

  it("streams chunks, a usage chunk with empty choices, then [DONE]", async () => {
    const res = await postJson(
      `${ctx.mock.url}/openai/v1/chat/completions`,
      {
        model: "mock-gpt",
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: "user", content: "Stream please" }],
      },
      { ...auth, "x-mock-controls": "cached=2,reasoning=3" },
    );
    assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
    const events = parseSse(await res.text());
    assert.equal(events.at(-1)?.data, "[DONE]");
    const chunks = jsonEvents(events.map((e) => `data: ${e.data}\n\n`).join("")) as any[];
    assert.ok(chunks.length > 5);
    assert.equal(chunks[0].choices[0].delta.role, "assistant");
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
    assert.match(text, /^Mock reply from openai: \w+/);
    const finish = chunks.find((c) => c.choices[0]?.finish_reason);
    assert.equal(finish.choices[0].finish_reason, "stop");
    const last = chunks.at(-1);
    assert.deepEqual(last.choices, []);
    assert.equal(last.usage.prompt_tokens_details.cached_tokens, 2);
    assert.equal(last.usage.completion_tokens_details.reasoning_tokens, 3);
    assert.ok(chunks.slice(0, -1).every((c) => c.usage === null));
  });

  it("answers parallel tool calls when required, streamed as argument fragments", async () => {
    const res = await postJson(
      `${ctx.mock.url}/openai/v1/chat/completions`,
      {
        model: "mock-gpt",
        stream: true,
        tools,
        tool_choice: "required",
        messages: [{ role: "user", content: "Weather? [mock:tools=2]" }],
      },
      auth,
    );
    const chunks = jsonEvents(await res.text()) as any[];
    const calls: { id?: string; name?: string; args: string }[] = [];
    let fragments = 0;
    for (const c of chunks) {
      for (const tc of c.choices[0]?.delta?.tool_calls ?? []) {
        calls[tc.index] ??= { args: "" };
        if (tc.id) calls[tc.index]!.id = tc.id;
        if (tc.function?.name) calls[tc.index]!.name = tc.function.name;
        if (tc.function?.arguments) {
          calls[tc.index]!.args += tc.function.arguments;
          fragments++;
        }
      }
    }
    assert.equal(calls.length, 2);
    assert.ok(fragments > 2, "arguments arrive in several fragments");
    for (const call of calls) {
      assert.match(call.id ?? "", /^call_[A-Za-z0-9]{24}$/);
      assert.equal(call.name, "get_weather");
      const args = JSON.parse(call.args);
      assert.equal(typeof args.city, "string");
      assert.ok(["c", "f"].includes(args.unit));
    }
    assert.equal(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason, "tool_calls");
  });

  it("answers in text once the conversation ends with a tool result", async () => {
    const res = await postJson(
      `${ctx.mock.url}/openai/v1/chat/completions`,
      {
        model: "mock-gpt",
        tools,
        tool_choice: "required",
        messages: [
          { role: "user", content: "Weather?" },
          {
            role: "assistant",
            content: null,
            tool_calls: [
              { id: "call_1", type: "function", function: { name: "get_weather", arguments: "{}" } },
            ],
          },
          { role: "tool", tool_call_id: "call_1", content: "sunny" },
        ],
      },
      auth,
    );
    const json = (await res.json()) as any;
    assert.equal(json.choices[0].finish_reason, "stop");
    assert.match(json.choices[0].message.content, /^Mock reply/);
  });

  it("returns a JSON object for json_schema, honours max_tokens and counts images", async () => {
    const schema = {
      type: "object",
      properties: { title: { type: "string" }, score: { type: "number" } },
      required: ["title", "score"],
    };
    const res = await postJson(
      `${ctx.mock.url}/openai/v1/chat/completions`,
      {
        model: "mock-gpt",
        response_format: { type: "json_schema", json_schema: { name: "x", schema } },
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "Rate this" },
              { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
            ],
          },
        ],
      },
      auth,
    );
    assert.equal(res.headers.get("x-mock-images"), "1");
    const parsed = JSON.parse(((await res.json()) as any).choices[0].message.content);
    assert.equal(typeof parsed.title, "string");
    assert.equal(typeof parsed.score, "number");

    const short = (await (
      await postJson(
        `${ctx.mock.url}/openai/v1/chat/completions`,
        { model: "mock-gpt", max_completion_tokens: 3, messages: [{ role: "user", content: "Long answer" }] },
        auth,
      )
    ).json()) as any;
    assert.equal(short.choices[0].finish_reason, "length");
    assert.equal(short.usage.completion_tokens, 3);
    assert.equal(short.choices[0].message.content, "Mock reply from");
  });

  it("serves embeddings (float and base64), models, and OpenAI's errors", async () => {
    const emb = (await (
      await postJson(
        `${ctx.mock.url}/openai/v1/embeddings`,
        { model: "mock-embed", input: ["a", "b"], dimensions: 4 },
        auth,
      )
    ).json()) as any;
    assert.equal(emb.object, "list");
    assert.equal(emb.data.length, 2);
    assert.equal(emb.data[1].embedding.length, 4);
    const b64 = (await (
      await postJson(
        `${ctx.mock.url}/openai/v1/embeddings`,
        { model: "mock-embed", input: "a", encoding_format: "base64" },
        auth,
      )
    ).json()) as any;
    assert.equal(Buffer.from(b64.data[0].embedding, "base64").length, 8 * 4);

    const models = (await (await fetch(`${ctx.mock.url}/openai/v1/models`, { headers: auth })).json()) as any;
    assert.deepEqual(
      models.data.map((m: { id: string }) => m.id),
      ["mock-gpt", "mock-embed"],
    );

    const unknown = await postJson(
      `${ctx.mock.url}/openai/v1/chat/completions`,
      { model: "gpt-4o", messages: [{ role: "user", content: "x" }] },
      auth,
    );
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as any).error.code, "model_not_found");

    const noKey = await postJson(`${ctx.mock.url}/openai/v1/chat/completions`, {
      model: "mock-gpt",
      messages: [],
    });
    assert.equal(noKey.status, 401);
    assert.equal(((await noKey.json()) as any).error.type, "invalid_request_error");
  });

  it("serves the same protocol under /compat without requiring a key", async () => {
    const res = await postJson(`${ctx.mock.url}/compat/v1/chat/completions`, {
      model: "mock-compat",
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    const text = await res.text();
    assert.match(text, /data: \[DONE\]\n\n$/);
    assert.match(
      jsonEvents(text)
        .map((c: any) => c.choices[0]?.delta?.content ?? "")
        .join(""),
      /^Mock reply from compat: /,
    );
  });
});

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return --
   Wire-shape assertions read untyped vendor JSON; typing every vendor body here would only restate the assertions. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { jsonEvents, postJson, useMock, weatherTool } from "./spec-helpers.js";

const ctx = useMock();
const tools = [{ type: "function", function: { name: weatherTool.name, parameters: weatherTool.schema } }];

describe("azure openai protocol", () => {
  const url = (dep: string, op = "chat/completions", version = "2024-10-21"): string =>
    `${ctx.mock.url}/azure/openai/deployments/${dep}/${op}?api-version=${version}`;
  const key = { "api-key": "mock-azure-key" };

  it("answers with content filter annotations", async () => {
    const res = await postJson(url("mock-gpt"), { messages: [{ role: "user", content: "hi" }] }, key);
    assert.equal(res.status, 200);
    const json = (await res.json()) as any;
    assert.equal(json.model, "mock-gpt");
    assert.match(json.choices[0].message.content, /^Mock reply from azure: /);
    assert.equal(json.prompt_filter_results[0].prompt_index, 0);
    assert.equal(json.choices[0].content_filter_results.hate.filtered, false);
  });

  it("opens a stream with an empty-choices prompt_filter_results chunk and ends with [DONE]", async () => {
    const res = await postJson(
      url("mock-gpt"),
      { stream: true, messages: [{ role: "user", content: "hi" }] },
      key,
    );
    const text = await res.text();
    assert.match(text, /data: \[DONE\]\n\n$/);
    const chunks = jsonEvents(text) as any[];
    assert.deepEqual(chunks[0].choices, []);
    assert.ok(Array.isArray(chunks[0].prompt_filter_results));
    assert.match(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join(""), /^Mock reply from azure: /);
  });

  it("needs api-version and api-key; unknown deployment is DeploymentNotFound", async () => {
    const body = { messages: [{ role: "user", content: "hi" }] };
    assert.equal(
      (await postJson(`${ctx.mock.url}/azure/openai/deployments/mock-gpt/chat/completions`, body, key))
        .status,
      404,
    );
    assert.equal((await postJson(url("mock-gpt"), body)).status, 401);
    const res = await postJson(url("gpt-4o"), body, key);
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as any).error.code, "DeploymentNotFound");
    const emb = (await (await postJson(url("mock-embed", "embeddings"), { input: "x" }, key)).json()) as any;
    assert.equal(emb.data[0].embedding.length, 8);
  });
});

describe("mistral protocol", () => {
  const url = (): string => `${ctx.mock.url}/mistral/v1/chat/completions`;
  const auth = { authorization: "Bearer mock-mistral-key" };

  it("answers tool calls with 9-character ids and finish_reason tool_calls", async () => {
    const res = await postJson(
      url(),
      { model: "mock-mistral", tools, tool_choice: "any", messages: [{ role: "user", content: "Weather?" }] },
      auth,
    );
    const json = (await res.json()) as any;
    const call = json.choices[0].message.tool_calls[0];
    assert.match(call.id, /^[A-Za-z0-9]{9}$/);
    assert.equal(call.function.name, "get_weather");
    assert.equal(typeof JSON.parse(call.function.arguments).city, "string");
    assert.equal(json.choices[0].finish_reason, "tool_calls");
  });

  it("streams tool calls whole and usage in the last chunk", async () => {
    const res = await postJson(
      url(),
      {
        model: "mock-mistral",
        stream: true,
        tools,
        tool_choice: "any",
        messages: [{ role: "user", content: "Weather?" }],
      },
      auth,
    );
    const text = await res.text();
    assert.match(text, /data: \[DONE\]\n\n$/);
    const chunks = jsonEvents(text) as any[];
    const withCalls = chunks.filter((c) => c.choices[0]?.delta?.tool_calls);
    assert.equal(withCalls.length, 1);
    JSON.parse(withCalls[0].choices[0].delta.tool_calls[0].function.arguments);
    const last = chunks.at(-1);
    assert.equal(last.choices[0].finish_reason, "tool_calls");
    assert.ok(last.usage.prompt_tokens > 0);
  });

  it("answers Mistral's error shape with Retry-After on 429; embeddings work", async () => {
    const res = await postJson(
      url(),
      { model: "mock-mistral", messages: [{ role: "user", content: "x [mock:error=429]" }] },
      auth,
    );
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "1");
    assert.equal(((await res.json()) as any).object, "error");
    const emb = (await (
      await postJson(
        `${ctx.mock.url}/mistral/v1/embeddings`,
        { model: "mock-mistral-embed", input: ["x"] },
        auth,
      )
    ).json()) as any;
    assert.equal(emb.data[0].embedding.length, 8);
  });
});

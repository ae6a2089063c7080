/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return --
   Wire-shape assertions read untyped vendor JSON; typing every vendor body here would only restate the assertions. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseSse, postJson, useMock, weatherTool } from "./spec-helpers.js";

const ctx = useMock();
const key = { "x-goog-api-key": "mock-gemini-key" };
const base = (): string => `${ctx.mock.url}/gemini/v1beta/models`;
const contents = (text: string) => [{ role: "user", parts: [{ text }] }];

describe("gemini protocol", () => {
  it("answers generateContent with candidates and usageMetadata (cached, thoughts)", async () => {
    const res = await postJson(
      `${base()}/mock-gemini:generateContent`,
      { contents: contents("Hello"), generationConfig: { maxOutputTokens: 100 } },
      { ...key, "x-mock-controls": "cached=2,reasoning=4" },
    );
    assert.equal(res.status, 200);
    const json = (await res.json()) as any;
    const cand = json.candidates[0];
    assert.equal(cand.content.role, "model");
    assert.match(cand.content.parts[0].text, /^Mock reply from gemini: /);
    assert.equal(cand.finishReason, "STOP");
    const u = json.usageMetadata;
    assert.equal(u.cachedContentTokenCount, 2);
    assert.equal(u.thoughtsTokenCount, 4);
    assert.equal(u.totalTokenCount, u.promptTokenCount + u.candidatesTokenCount + u.thoughtsTokenCount);
  });

  it("streams with alt=sse (CRLF framing), final chunk with finishReason; ?key= works", async () => {
    const res = await postJson(`${base()}/mock-gemini:streamGenerateContent?alt=sse&key=k`, {
      contents: contents("Stream"),
    });
    assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
    const raw = await res.text();
    assert.match(raw, /^data: \{.*\}\r\n\r\n/);
    const chunks = parseSse(raw).map((e) => JSON.parse(e.data));
    assert.ok(chunks.length > 5);
    const text = chunks.map((c) => c.candidates[0].content.parts[0].text).join("");
    assert.match(text, /^Mock reply from gemini: /);
    assert.equal(chunks.at(-1).candidates[0].finishReason, "STOP");
    assert.ok(chunks.slice(0, -1).every((c) => c.candidates[0].finishReason === undefined));
    assert.ok(chunks.at(-1).usageMetadata.candidatesTokenCount > 0);
  });

  it("streams a JSON array without alt=sse; maxOutputTokens gives MAX_TOKENS", async () => {
    const res = await postJson(
      `${base()}/mock-gemini:streamGenerateContent`,
      { contents: contents("Array"), generationConfig: { maxOutputTokens: 3 } },
      key,
    );
    const arr = (await res.json()) as any[];
    assert.equal(arr.length, 3);
    assert.equal(arr.at(-1).candidates[0].finishReason, "MAX_TOKENS");
  });

  it("answers functionCall parts when mode is ANY", async () => {
    const res = await postJson(
      `${base()}/mock-gemini:generateContent`,
      {
        contents: contents("Weather?"),
        tools: [{ functionDeclarations: [{ name: weatherTool.name, parameters: weatherTool.schema }] }],
        toolConfig: { functionCallingConfig: { mode: "ANY" } },
      },
      { ...key, "x-mock-controls": "tools=2" },
    );
    const parts = ((await res.json()) as any).candidates[0].content.parts;
    assert.equal(parts.length, 2);
    assert.equal(parts[0].functionCall.name, "get_weather");
    assert.equal(typeof parts[0].functionCall.args.city, "string");
  });

  it("serves embedContent and batchEmbedContents", async () => {
    const one = (await (
      await postJson(
        `${base()}/mock-gemini-embed:embedContent`,
        { content: { parts: [{ text: "a" }] }, outputDimensionality: 5 },
        key,
      )
    ).json()) as any;
    assert.equal(one.embedding.values.length, 5);
    const batch = (await (
      await postJson(
        `${base()}/mock-gemini-embed:batchEmbedContents`,
        {
          requests: ["a", "b", "c"].map((t) => ({
            model: "models/mock-gemini-embed",
            content: { parts: [{ text: t }] },
          })),
        },
        key,
      )
    ).json()) as any;
    assert.equal(batch.embeddings.length, 3);
    assert.deepEqual(
      batch.embeddings[0].values,
      (
        (await (
          await postJson(
            `${base()}/mock-gemini-embed:embedContent`,
            { content: { parts: [{ text: "a" }] } },
            key,
          )
        ).json()) as any
      ).embedding.values,
    );
  });

  it("answers Google's error shape: 429 RESOURCE_EXHAUSTED, 404 NOT_FOUND, 403 without a key", async () => {
    const res = await postJson(
      `${base()}/mock-gemini:generateContent`,
      { contents: contents("x") },
      { ...key, "x-mock-controls": "error=429,retry_after=7" },
    );
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "7");
    const err = ((await res.json()) as any).error;
    assert.deepEqual([err.code, err.status], [429, "RESOURCE_EXHAUSTED"]);
    const unknown = await postJson(`${base()}/gemini-pro:generateContent`, { contents: contents("x") }, key);
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as any).error.status, "NOT_FOUND");
    assert.equal(
      (await postJson(`${base()}/mock-gemini:generateContent`, { contents: contents("x") })).status,
      403,
    );
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { EmbedRequestSchema } from "@switchyard/proto";
import { target, toolConversation } from "../testing/requests.js";
import { contentOf, decodeAllSplits, readFixture } from "../testing/stream-feed.js";
import { azure } from "./azure.js";

const t = target({
  baseUrl: "https://contoso.openai.azure.com/",
  upstreamModel: "gpt-4o-prod",
  apiKey: "azure-key",
});

describe("azure request", () => {
  it("names the deployment in the URL, uses api-key and the default api-version, and omits model", async () => {
    const req = await azure.buildRequest(toolConversation(), t, true);
    assert.equal(
      req.url,
      "https://contoso.openai.azure.com/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21",
    );
    assert.equal(req.headers["api-key"], "azure-key");
    assert.equal(req.headers["authorization"], undefined);
    const body = JSON.parse(req.body) as Record<string, unknown>;
    assert.equal(body["model"], undefined);
    assert.equal(body["max_completion_tokens"], 256);
    assert.deepEqual(body["stream_options"], { include_usage: true });
  });

  it("honours a configured api-version for chat and embeddings", async () => {
    const custom = { ...t, apiVersion: "2025-04-01-preview" };
    assert.match(
      (await azure.buildRequest(toolConversation(), custom, false)).url,
      /\?api-version=2025-04-01-preview$/,
    );
    const embed = await azure.embeddings?.buildRequest(create(EmbedRequestSchema, { input: ["x"] }), custom);
    assert.equal(
      embed?.url,
      "https://contoso.openai.azure.com/openai/deployments/gpt-4o-prod/embeddings?api-version=2025-04-01-preview",
    );
  });
});

describe("azure stream", () => {
  it("skips the prompt-filter chunk with no choices and decodes the rest", () => {
    const { chunks, finishReason } = decodeAllSplits(
      () => azure.createStreamDecoder(),
      readFixture(new URL("./fixtures/content-filter-stream.sse", import.meta.url)),
    );
    assert.equal(chunks[0]?.choices[0]?.delta?.role, "assistant");
    assert.equal(contentOf(chunks), "Grüß Gott!");
    assert.equal(finishReason, "stop");
  });
});

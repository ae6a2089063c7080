/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return --
   Wire-shape assertions read untyped vendor JSON; typing every vendor body here would only restate the assertions. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { decodeEventStream } from "./event-stream.js";
import { useMock, weatherTool } from "./spec-helpers.js";

const ctx = useMock();

async function signedFetch(
  path: string,
  body: unknown,
  opts: { secret?: string; region?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const url = new URL(`${ctx.mock.url}${path}`);
  const signer = new SignatureV4({
    credentials: { accessKeyId: "MOCKAKIDEXAMPLE", secretAccessKey: opts.secret ?? "mock-secret-key" },
    region: opts.region ?? "us-east-1",
    service: "bedrock",
    sha256: Sha256,
  });
  const payload = JSON.stringify(body);
  const signed = await signer.sign({
    method: "POST",
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: {
      host: url.host,
      "content-type": "application/json",
      accept: "application/json",
      ...opts.headers,
    },
    body: payload,
  });
  const { host: _host, ...headers } = signed.headers;
  return fetch(url, { method: "POST", headers, body: payload });
}

const converse = (text: string, extra: Record<string, unknown> = {}) => ({
  messages: [{ role: "user", content: [{ text }] }],
  inferenceConfig: { maxTokens: 100 },
  ...extra,
});
const toolConfig = {
  tools: [
    {
      toolSpec: {
        name: weatherTool.name,
        description: weatherTool.description,
        inputSchema: { json: weatherTool.schema },
      },
    },
  ],
  toolChoice: { any: {} },
};

describe("bedrock protocol", () => {
  it("accepts a good SigV4 signature and answers Converse", async () => {
    const res = await signedFetch("/bedrock/model/mock-bedrock/converse", converse("Hello [mock:cached=2]"));
    assert.equal(res.status, 200);
    const json = (await res.json()) as any;
    assert.equal(json.output.message.role, "assistant");
    assert.match(json.output.message.content[0].text, /^Mock reply from bedrock: /);
    assert.equal(json.stopReason, "end_turn");
    assert.equal(json.usage.cacheReadInputTokens, 2);
    assert.equal(json.usage.totalTokens, json.usage.inputTokens + json.usage.outputTokens + 2);
    assert.equal(typeof json.metrics.latencyMs, "number");
  });

  it("rejects a bad signature, a wrong region and an unsigned request with 403 and AWS's error shape", async () => {
    const bad = await signedFetch("/bedrock/model/mock-bedrock/converse", converse("x"), { secret: "wrong" });
    assert.equal(bad.status, 403);
    assert.match(bad.headers.get("x-amzn-errortype") ?? "", /^InvalidSignatureException:/);
    assert.match(((await bad.json()) as any).message, /signature we calculated does not match/);
    const region = await signedFetch("/bedrock/model/mock-bedrock/converse", converse("x"), {
      region: "eu-west-1",
    });
    assert.equal(region.status, 403);
    const unsigned = await fetch(`${ctx.mock.url}/bedrock/model/mock-bedrock/converse`, {
      method: "POST",
      body: "{}",
    });
    assert.equal(unsigned.status, 403);
    assert.match(unsigned.headers.get("x-amzn-errortype") ?? "", /^MissingAuthenticationTokenException:/);
  });

  it("verifies the signature over the /_mock controls prefix and an encoded model id", async () => {
    const res = await signedFetch(
      "/_mock/error=429/bedrock/model/us.mock-bedrock%3A0/converse",
      converse("x"),
    );
    assert.equal(res.status, 429);
    assert.match(res.headers.get("x-amzn-errortype") ?? "", /^ThrottlingException:/);
    assert.equal(res.headers.get("retry-after"), "1");
  });

  it("streams ConverseStream as an AWS event stream", async () => {
    const res = await signedFetch(
      "/bedrock/model/mock-bedrock/converse-stream",
      converse("Stream [mock:words=3]"),
    );
    assert.equal(res.headers.get("content-type"), "application/vnd.amazon.eventstream");
    const events = decodeEventStream(new Uint8Array(await res.arrayBuffer()));
    for (const e of events) {
      assert.equal(e.headers[":message-type"], "event");
      assert.equal(e.headers[":content-type"], "application/json");
    }
    const types = events.map((e) => e.headers[":event-type"]);
    assert.equal(types[0], "messageStart");
    assert.deepEqual(types.slice(-3), ["contentBlockStop", "messageStop", "metadata"]);
    const bodies = events.map((e) => e.body as any);
    const text = bodies
      .filter((b) => b.delta?.text !== undefined)
      .map((b) => b.delta.text)
      .join("");
    assert.match(text, /^Mock reply from bedrock: \w+ \w+ \w+$/);
    assert.equal(bodies.at(-2).stopReason, "end_turn");
    assert.equal(bodies.at(-1).usage.outputTokens, 7);
    assert.equal(typeof bodies.at(-1).metrics.latencyMs, "number");
  });

  it("streams toolUse with contentBlockStart and input fragments", async () => {
    const res = await signedFetch(
      "/bedrock/model/mock-bedrock/converse-stream",
      converse("Weather?", { toolConfig }),
    );
    const events = decodeEventStream(new Uint8Array(await res.arrayBuffer()));
    const start = events.find((e) => e.headers[":event-type"] === "contentBlockStart")?.body as any;
    assert.equal(start.start.toolUse.name, "get_weather");
    assert.match(start.start.toolUse.toolUseId, /^tooluse_/);
    const input = events
      .filter((e) => e.headers[":event-type"] === "contentBlockDelta")
      .map((e) => (e.body as any).delta.toolUse.input as string);
    assert.ok(input.length > 2);
    assert.equal(typeof JSON.parse(input.join("")).city, "string");
    assert.equal(
      (events.find((e) => e.headers[":event-type"] === "messageStop")?.body as any).stopReason,
      "tool_use",
    );
  });
});

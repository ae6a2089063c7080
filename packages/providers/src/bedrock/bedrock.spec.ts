import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { Sha256 } from "@aws-crypto/sha256-js";
import { EventStreamCodec, type MessageHeaders } from "@smithy/core/event-streams";
import { fromUtf8, toUtf8 } from "@smithy/core/serde";
import { SignatureV4 } from "@smithy/signature-v4";
import { create } from "@bufbuild/protobuf";
import type { GatewayError } from "@switchyard/common";
import { ChatRequestSchema } from "@switchyard/proto";
import { jsonModeRequest, target, toolConversation, WEATHER_PARAMS } from "../testing/requests.js";
import {
  assertCutStreamThrows,
  contentOf,
  decodeAllSplits,
  reasoningSequence,
  readJsonFixture,
  reasoningOf,
  toolCallsOf,
  usageJson,
} from "../testing/stream-feed.js";
import { bedrock } from "./bedrock.js";

const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);
const MODEL = "anthropic.claude-3-5-sonnet-20241022-v2:0";
const t = target({
  baseUrl: "https://bedrock-runtime.us-east-1.amazonaws.com",
  upstreamModel: MODEL,
  apiKey: "AKIDEXAMPLE",
  secretKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  region: "us-east-1",
});

/** Encodes JSON event fixtures as an application/vnd.amazon.eventstream body. */
function eventStream(name: string, dropLast = 0): Uint8Array {
  const codec = new EventStreamCodec(toUtf8, fromUtf8);
  const events = readJsonFixture(fixture(name)) as { event?: string; exception?: string; payload: unknown }[];
  const frames = events.slice(0, events.length - dropLast).map((e) => {
    const headers: MessageHeaders =
      e.exception !== undefined
        ? {
            ":message-type": { type: "string", value: "exception" },
            ":exception-type": { type: "string", value: e.exception },
            ":content-type": { type: "string", value: "application/json" },
          }
        : {
            ":message-type": { type: "string", value: "event" },
            ":event-type": { type: "string", value: e.event ?? "" },
            ":content-type": { type: "string", value: "application/json" },
          };
    return codec.encode({ headers, body: fromUtf8(JSON.stringify(e.payload)) });
  });
  return Buffer.concat(frames);
}

describe("bedrock request", () => {
  it("posts to the encoded model path with a verifiable SigV4 signature", async () => {
    const conversation = toolConversation();
    conversation.messages[1]?.content.splice(2, 1); // Bedrock takes no https image URLs
    const req = await bedrock.buildRequest(conversation, t, true);
    assert.equal(
      req.url,
      `https://bedrock-runtime.us-east-1.amazonaws.com/model/${encodeURIComponent(MODEL)}/converse-stream`,
    );
    assert.match(req.url, /v2%3A0\/converse-stream$/);
    const auth = req.headers["authorization"] ?? "";
    assert.match(
      auth,
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/bedrock\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/,
    );
    assert.match(auth, /SignedHeaders=[^,]*host[^,]*x-amz-date/);
    assert.equal(req.headers["x-amz-content-sha256"], createHash("sha256").update(req.body).digest("hex"));

    // Recompute the signature independently over what is sent.
    const amzDate = req.headers["x-amz-date"] ?? "";
    const when = new Date(
      amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z"),
    );
    const url = new URL(req.url);
    const signer = new SignatureV4({
      service: "bedrock",
      region: "us-east-1",
      credentials: { accessKeyId: t.apiKey, secretAccessKey: t.secretKey },
      sha256: Sha256,
    });
    const check = await signer.sign(
      {
        method: "POST",
        protocol: url.protocol,
        hostname: url.hostname,
        path: url.pathname,
        query: {},
        headers: {
          host: url.host,
          "content-type": req.headers["content-type"] ?? "",
          accept: req.headers["accept"] ?? "",
        },
        body: req.body,
      },
      { signingDate: when },
    );
    assert.equal(check.headers["authorization"], auth);

    // Changing one byte of the body breaks it.
    const tampered = await signer.sign(
      {
        method: "POST",
        protocol: url.protocol,
        hostname: url.hostname,
        path: url.pathname,
        query: {},
        headers: { host: url.host, "content-type": "application/json", accept: req.headers["accept"] ?? "" },
        body: req.body + " ",
      },
      { signingDate: when },
    );
    assert.notEqual(tampered.headers["authorization"], auth);
  });

  it("maps system, images, toolUse/toolResult, toolConfig and inferenceConfig", async () => {
    const req = toolConversation();
    req.messages[1]?.content.splice(2, 1); // Bedrock takes no https image URLs
    const body = JSON.parse((await bedrock.buildRequest(req, t, false)).body) as Record<string, unknown>;
    assert.deepEqual(body, {
      messages: [
        {
          role: "user",
          content: [
            { text: "Weather where this photo was taken?" },
            { image: { format: "png", source: { bytes: "iVBORw0KGgo=" } } },
          ],
        },
        {
          role: "assistant",
          content: [{ toolUse: { toolUseId: "call_abc123", name: "get_weather", input: { city: "Paris" } } }],
        },
        {
          role: "user",
          content: [{ toolResult: { toolUseId: "call_abc123", content: [{ text: '{"temp_c":21}' }] } }],
        },
      ],
      system: [{ text: "You are terse." }],
      inferenceConfig: { maxTokens: 256, temperature: 0.2, stopSequences: ["END"] },
      toolConfig: {
        tools: [
          {
            toolSpec: {
              name: "get_weather",
              inputSchema: { json: WEATHER_PARAMS },
              description: "Current weather",
            },
          },
        ],
        toolChoice: { any: {} },
      },
    });
  });

  it("sends signed and redacted reasoning back to Claude, drops the unsigned, and maps the thinking budget and top_k", async () => {
    const req = create(ChatRequestSchema, {
      messages: [
        { role: "user", content: [{ part: { case: "text", value: "weather?" } }] },
        {
          role: "assistant",
          reasoningContent: "Need the tool.",
          reasoningSignature: "ErcBsig",
          redactedReasoning: ["EmwKAhgB"],
          toolCalls: [{ id: "tooluse_1", functionName: "w", argumentsJson: "{}" }],
        },
        { role: "tool", toolCallId: "tooluse_1", content: [{ part: { case: "text", value: "4°C" } }] },
        {
          role: "assistant",
          reasoningContent: "Unsigned.",
          content: [{ part: { case: "text", value: "Cold." } }],
        },
        { role: "user", content: [{ part: { case: "text", value: "thanks" } }] },
      ],
      thinkingBudgetTokens: 3000,
      reasoningEffort: "high",
      maxTokens: 8000,
      topK: 40,
    });
    const json = async (modelId: string): Promise<Record<string, unknown>> =>
      JSON.parse((await bedrock.buildRequest(req, { ...t, upstreamModel: modelId }, false)).body) as Record<
        string,
        unknown
      >;
    const b = await json(MODEL);
    const messages = b["messages"] as { content: unknown[] }[];
    assert.deepEqual(messages[1]?.content, [
      { reasoningContent: { reasoningText: { text: "Need the tool.", signature: "ErcBsig" } } },
      { reasoningContent: { redactedContent: "EmwKAhgB" } },
      { toolUse: { toolUseId: "tooluse_1", name: "w", input: {} } },
    ]);
    assert.deepEqual(messages[3]?.content, [{ text: "Cold." }]);
    assert.deepEqual(b["additionalModelRequestFields"], {
      thinking: { type: "enabled", budget_tokens: 3000 },
    });
    assert.deepEqual(b["inferenceConfig"], { maxTokens: 8000 });

    req.thinkingBudgetTokens = 0; // off, even with an effort: top_k goes to Claude instead
    assert.deepEqual((await json(MODEL))["additionalModelRequestFields"], { top_k: 40 });
    const nova = await json("amazon.nova-pro-v1:0");
    assert.equal(nova["additionalModelRequestFields"], undefined);
    assert.deepEqual((nova["messages"] as { content: unknown[] }[])[1]?.content, [
      { toolUse: { toolUseId: "tooluse_1", name: "w", input: {} } },
    ]);
  });

  it("rejects https image URLs and carries JSON mode as a system instruction", async () => {
    await assert.rejects(bedrock.buildRequest(toolConversation(), t, false), {
      code: "invalid_argument",
      field: "messages[1].content[2]",
    });
    const body = JSON.parse(
      (await bedrock.buildRequest(jsonModeRequest("json_schema"), t, false)).body,
    ) as Record<string, unknown>;
    assert.match(JSON.stringify(body["system"]), /conforms to this JSON Schema/);
  });
});

describe("bedrock response", () => {
  it("parses text and toolUse with cache read/write usage", () => {
    const { response, usage } = bedrock.parseResponse(200, readJsonFixture(fixture("converse.json")));
    const choice = response.choices[0];
    assert.equal(choice?.finishReason, "tool_calls");
    assert.equal(choice?.message?.content[0]?.part.value, "Je vérifie.");
    assert.equal(choice?.message?.reasoningContent, "User wants weather.");
    assert.equal(choice?.message?.reasoningSignature, "ErcBCkgIBhAB");
    assert.deepEqual(choice?.message?.redactedReasoning, ["EmwKAhgBEgy3va3p"]);
    assert.deepEqual(
      choice?.message?.toolCalls.map((c) => [c.id, c.functionName, JSON.parse(c.argumentsJson) as unknown]),
      [["tooluse_hIHrGcXMQ7ShXGNkdLiR8A", "get_weather", { city: "Genève" }]],
    );
    assert.deepEqual(usageJson(usage), {
      promptTokens: 350 + 1024 + 24,
      completionTokens: 75,
      totalTokens: 1473,
      cachedTokens: 1024,
      cacheWriteTokens: 24,
      reasoningTokens: 0,
      audioPromptTokens: 0,
      audioCompletionTokens: 0,
      cacheWrite1hTokens: 0,
    });
  });
});

describe("bedrock stream", () => {
  it("joins a redacted block's pieces and passes it on whole, after the signed reasoning, under any split", () => {
    const { chunks } = decodeAllSplits(
      () => bedrock.createStreamDecoder(),
      eventStream("redacted-stream.json"),
    );
    assert.deepEqual(reasoningSequence(chunks), [
      "thinking:Prüfen…",
      "signature:ErcBsig",
      "redacted:EmwKAhgBEgy3va3p",
      "text:Ja.",
    ]);
  });

  it("decodes event-stream frames split anywhere: reasoning, text, parallel tool calls, usage", () => {
    const { chunks, usage, finishReason } = decodeAllSplits(
      () => bedrock.createStreamDecoder(),
      eventStream("tool-stream.json"),
    );
    assert.equal(chunks[0]?.choices[0]?.delta?.role, "assistant");
    assert.equal(reasoningOf(chunks), "Zwei Städte prüfen…");
    assert.deepEqual(
      chunks.flatMap((c) => c.choices[0]?.delta?.reasoningSignature ?? []),
      ["ErcBCkgIBhABGAIiQ"],
    );
    assert.equal(contentOf(chunks), "Ich prüfe München und Köln 🌦️.");
    assert.deepEqual(toolCallsOf(chunks), [
      { index: 0, id: "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", name: "get_weather", args: '{"city": "München"}' },
      { index: 1, id: "tooluse_8Zc3nFz1QyWm0uHh7bXq4A", name: "get_weather", args: '{"city": "Köln"}' },
    ]);
    assert.equal(finishReason, "tool_calls");
    assert.equal(chunks.at(-1)?.choices[0]?.finishReason, "tool_calls");
    assert.deepEqual(
      [
        usage.promptTokens,
        usage.completionTokens,
        usage.cachedTokens,
        usage.cacheWriteTokens,
        usage.totalTokens,
      ],
      [3460, 118, 2048, 1000, 3578],
    );
  });

  it("throws when the stream ends before messageStop or inside a frame", () => {
    const bytes = eventStream("tool-stream.json");
    assertCutStreamThrows(() => bedrock.createStreamDecoder(), eventStream("tool-stream.json", 2)); // no messageStop
    assertCutStreamThrows(() => bedrock.createStreamDecoder(), bytes.slice(0, 60));
    assertCutStreamThrows(() => bedrock.createStreamDecoder(), bytes.slice(0, bytes.length - 5));
  });

  it("maps an exception frame to a GatewayError", () => {
    const d = bedrock.createStreamDecoder();
    assert.throws(
      () => d.push(eventStream("throttling-stream.json")),
      (err: GatewayError) => err.code === "rate_limited" && /Too many tokens/.test(err.message),
    );
  });

  it("rejects a frame whose CRC does not match", () => {
    const bytes = eventStream("tool-stream.json");
    bytes[20] = (bytes[20] ?? 0) ^ 0xff;
    assert.throws(() => bedrock.createStreamDecoder().push(bytes), { code: "upstream_error" });
  });
});

describe("bedrock errors", () => {
  it("maps ThrottlingException 429 with Retry-After", () => {
    const headers = new Headers({
      "x-amzn-errortype": "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/",
      "retry-after": "3",
    });
    const err = bedrock.mapError(429, readJsonFixture(fixture("error-throttling.json")), headers);
    assert.deepEqual([err.code, err.retryAfterMs, err.retryable], ["rate_limited", 3000, true]);
  });

  it("maps ValidationException to invalid_argument with Bedrock's message, 500 to retryable", () => {
    const err = bedrock.mapError(
      400,
      readJsonFixture(fixture("error-validation.json")),
      new Headers({ "x-amzn-errortype": "ValidationException" }),
    );
    assert.equal(err.code, "invalid_argument");
    assert.match(err.message, /Field required/);
    const server = bedrock.mapError(
      500,
      { message: "internal" },
      new Headers({ "x-amzn-errortype": "InternalServerException" }),
    );
    assert.deepEqual([server.code, server.retryable], ["upstream_error", true]);
    const denied = bedrock.mapError(
      403,
      { Message: "User is not authorized" },
      new Headers({ "x-amzn-errortype": "AccessDeniedException" }),
    );
    assert.deepEqual([denied.code, denied.retryable], ["upstream_error", false]);
  });
});

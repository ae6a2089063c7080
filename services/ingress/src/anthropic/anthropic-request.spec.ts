import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { toJson } from "@bufbuild/protobuf";
import { GatewayError } from "@switchyard/common";
import { ChatRequestSchema, type ChatRequest } from "@switchyard/proto";
import { checkChatRequest } from "../canonical-request.js";
import { parseCountTokensBody, parseMessagesBody } from "./anthropic-request.js";

interface RequestFixture {
  headers: { version: string; beta: string };
  body: Record<string, unknown>;
  expected: { stream: boolean; request: unknown };
}

const claudeCode = JSON.parse(
  readFileSync(new URL("./fixtures/claude-code-request.json", import.meta.url), "utf8"),
) as RequestFixture;

const parse = (body: Record<string, unknown>): ChatRequest =>
  parseMessagesBody({ model: "m", max_tokens: 100, ...body }, {}).request;

const user = (content: unknown): Record<string, unknown> => ({ messages: [{ role: "user", content }] });

const refusal = (fn: () => unknown): GatewayError => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof GatewayError);
    assert.equal(err.code, "invalid_argument");
    return err;
  }
  assert.fail("expected a validation error");
};
const fieldOf = (body: Record<string, unknown>): string =>
  refusal(() => parseMessagesBody({ model: "m", max_tokens: 100, ...body }, {})).field;

describe("Anthropic messages body: conformance", () => {
  it("maps a Claude Code request to the expected canonical request", () => {
    const { request, stream } = parseMessagesBody(claudeCode.body, claudeCode.headers);
    assert.equal(stream, claudeCode.expected.stream);
    assert.deepEqual(toJson(ChatRequestSchema, request), claudeCode.expected.request);
  });

  it("count_tokens takes the same body without max_tokens, ignoring stream", () => {
    const { max_tokens: _, ...body } = claudeCode.body;
    const request = parseCountTokensBody(body);
    const expected = parseMessagesBody(claudeCode.body, {}).request;
    assert.equal(request.maxTokens, undefined);
    assert.deepEqual(request.messages, expected.messages);
    assert.deepEqual(request.tools, expected.tools);
    assert.equal(parseCountTokensBody({ ...body, stream: "yes" }).model, body["model"]);
  });
});

describe("Anthropic messages body: mapping", () => {
  it("a string system prompt and string user content are plain text", () => {
    const r = parse({ system: "be brief", ...user("hi") });
    assert.deepEqual(
      r.messages.map((m) => [m.role, m.contentIsText, m.content[0]?.part.value]),
      [
        ["system", true, "be brief"],
        ["user", true, "hi"],
      ],
    );
  });

  it("an empty system prompt adds no message", () => {
    assert.equal(parse({ system: "", ...user("hi") }).messages.length, 1);
    assert.equal(parse({ system: [], ...user("hi") }).messages.length, 1);
  });

  it("keeps block order: each run of blocks one user message, each tool_result a tool message", () => {
    const r = parse(
      user([
        { type: "text", text: "a" },
        { type: "tool_result", tool_use_id: "t1", content: "1" },
        { type: "tool_result", tool_use_id: "t2" },
        { type: "text", text: "b" },
        { type: "image", source: { type: "url", url: "https://x/y.png" } },
      ]),
    );
    assert.deepEqual(
      r.messages.map((m) => [m.role, m.toolCallId, m.content.length]),
      [
        ["user", "", 1],
        ["tool", "t1", 1],
        ["tool", "t2", 0],
        ["user", "", 2],
      ],
    );
    assert.deepEqual(r.messages[3]?.content[1]?.part, {
      case: "imageUrl",
      value: { $typeName: "switchyard.v1.ImageUrl", url: "https://x/y.png", detail: "" },
    });
  });

  it("a tool_result with blocks keeps them as parts, its cache_control on the message", () => {
    const [tool] = parse(
      user([
        {
          type: "tool_result",
          tool_use_id: "t1",
          is_error: false,
          cache_control: { type: "ephemeral", ttl: "5m" },
          content: [
            { type: "text", text: "see" },
            { type: "image", source: { type: "base64", media_type: "image/gif", data: "R0lG" } },
            {
              type: "document",
              source: { type: "text", media_type: "text/plain", data: "héllo" },
              title: "a.txt",
            },
          ],
        },
      ]),
    ).messages;
    assert.equal(tool?.role, "tool");
    assert.equal(tool?.contentIsText, false);
    assert.equal(tool?.toolError, false);
    assert.deepEqual([tool?.cacheControl?.type, tool?.cacheControl?.ttl], ["ephemeral", "5m"]);
    assert.deepEqual(
      tool?.content.map((p) => p.part.case),
      ["text", "imageUrl", "file"],
    );
    const img = tool?.content[1]?.part;
    assert.equal(img?.case === "imageUrl" && img.value.url, "data:image/gif;base64,R0lG");
    const file = tool?.content[2]?.part;
    assert.ok(file?.case === "file");
    assert.equal(file.value.filename, "a.txt");
    assert.equal(file.value.fileData, `data:text/plain;base64,${Buffer.from("héllo").toString("base64")}`);
  });

  it("an assistant turn: thinking concatenated (last signature), redacted thinking, tool_use cache_control", () => {
    const [, a] = parse({
      messages: [
        { role: "user", content: "go" },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "one ", signature: "s1" },
            { type: "redacted_thinking", data: "opaque" },
            { type: "thinking", thinking: "two", signature: "s2" },
            { type: "text", text: "ok", cache_control: { type: "ephemeral" } },
            {
              type: "tool_use",
              id: "t",
              name: "f",
              input: {},
              cache_control: { type: "ephemeral", ttl: "1h" },
            },
          ],
        },
      ],
    }).messages;
    assert.equal(a?.reasoningContent, "one two");
    assert.equal(a?.reasoningSignature, "s2");
    assert.deepEqual(a?.redactedReasoning, ["opaque"]);
    assert.equal(a?.content[0]?.cacheControl?.type, "ephemeral");
    assert.equal(a?.toolCalls[0]?.argumentsJson, "{}");
    assert.equal(a?.cacheControl?.ttl, "1h");
  });

  it("a string assistant turn is plain text (a prefill may be last and empty)", () => {
    const r = parse({
      messages: [
        { role: "user", content: "x" },
        { role: "assistant", content: "{" },
        { role: "user", content: "y" },
        { role: "assistant", content: [] },
      ],
    });
    assert.equal(r.messages[1]?.contentIsText, true);
    assert.equal(r.messages[3]?.content.length, 0);
  });

  it("maps tool_choice and disable_parallel_tool_use", () => {
    const choice = (tool_choice: unknown) => {
      const r = parse({ ...user("x"), tool_choice });
      return [r.toolChoice?.mode, r.toolChoice?.functionName, r.parallelToolCalls];
    };
    assert.deepEqual(choice({ type: "auto" }), ["auto", "", undefined]);
    assert.deepEqual(choice({ type: "any", disable_parallel_tool_use: true }), ["required", "", false]);
    assert.deepEqual(choice({ type: "tool", name: "f" }), ["function", "f", undefined]);
    assert.deepEqual(choice({ type: "none" }), ["none", "", undefined]);
  });

  it("maps thinking: a budget, disabled as budget 0, adaptive as an effort", () => {
    const thinking = (body: Record<string, unknown>) => {
      const r = parse({ ...user("x"), ...body });
      return [r.thinkingBudgetTokens, r.reasoningEffort];
    };
    assert.deepEqual(thinking({ thinking: { type: "enabled", budget_tokens: 2048 } }), [2048, ""]);
    assert.deepEqual(thinking({ thinking: { type: "disabled" } }), [0, ""]);
    assert.deepEqual(thinking({ thinking: { type: "adaptive" } }), [undefined, "medium"]);
    assert.deepEqual(thinking({ thinking: { type: "adaptive" }, output_config: { effort: "max" } }), [
      undefined,
      "max",
    ]);
    assert.deepEqual(thinking({ output_config: { effort: "low" } }), [undefined, "low"]);
    assert.deepEqual(thinking({}), [undefined, ""]);
  });

  it("maps sampling, stop sequences, user and structured output", () => {
    const r = parse({
      ...user("x"),
      temperature: 0.5,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: ["END"],
      metadata: { user_id: "u1" },
      output_config: { format: { type: "json_schema", schema: { type: "object" } } },
    });
    assert.deepEqual(
      [r.temperature, r.topP, r.topK, r.stop, r.user, r.maxTokens],
      [0.5, 0.9, 40, ["END"], "u1", 100],
    );
    assert.deepEqual(
      [r.responseFormat?.type, r.responseFormat?.jsonSchema, r.responseFormat?.strict],
      ["json_schema", '{"type":"object"}', true],
    );
  });

  it("ignores unknown fields, context_management, service_tier and text citations", () => {
    const r = parse({
      ...user([{ type: "text", text: "x", citations: [{ type: "char_location" }] }]),
      context_management: { edits: [{ type: "clear_tool_uses_20250919" }] },
      service_tier: "auto",
      some_future_field: 1,
    });
    assert.equal(r.messages.length, 1);
  });
});

describe("Anthropic messages body: refusals name the field", () => {
  it("an empty messages array", () => {
    assert.equal(fieldOf({ messages: [] }), "messages");
  });

  it("an empty user content array", () => {
    assert.equal(fieldOf(user([])), "messages[0].content");
  });

  it("an empty assistant turn before the last", () => {
    const messages = [
      { role: "user", content: "a" },
      { role: "assistant", content: [] },
      { role: "user", content: "b" },
    ];
    assert.equal(fieldOf({ messages }), "messages[1].content");
  });

  it("a base64 image source without data", () => {
    const body = user([{ type: "image", source: { type: "base64", media_type: "image/png" } }]);
    assert.equal(fieldOf(body), "messages[0].content[0].source.data");
  });

  it("an unknown block type, named in the message", () => {
    const err = refusal(() =>
      parse(
        user([
          { type: "text", text: "a" },
          { type: "search_result", content: [] },
        ]),
      ),
    );
    assert.equal(err.field, "messages[0].content[1].type");
    assert.match(err.message, /"search_result"/);
    const messages = [
      { role: "user", content: "a" },
      { role: "assistant", content: [{ type: "server_tool_use", id: "x", name: "web_search", input: {} }] },
    ];
    assert.equal(fieldOf({ messages }), "messages[1].content[0].type");
  });

  it("a server tool", () => {
    const err = refusal(() =>
      parse({ ...user("x"), tools: [{ type: "web_search_20250305", name: "web_search" }] }),
    );
    assert.equal(err.field, "tools[0].type");
    assert.equal(err.message, "tools[0].type: server tools are not supported");
  });

  it("a URL document and documents with citations", () => {
    const doc = (extra: Record<string, unknown>) =>
      user([
        {
          type: "document",
          source: { type: "base64", media_type: "application/pdf", data: "JVBE" },
          ...extra,
        },
      ]);
    assert.equal(
      fieldOf(user([{ type: "document", source: { type: "url", url: "https://x/a.pdf" } }])),
      "messages[0].content[0].source",
    );
    assert.equal(fieldOf(doc({ citations: { enabled: true } })), "messages[0].content[0].citations");
    assert.equal(fieldOf(doc({ context: "from the wiki" })), "messages[0].content[0].context");
    assert.equal(parse(doc({ citations: { enabled: false }, context: null })).messages.length, 1);
  });

  it("Anthropic-hosted features", () => {
    assert.equal(fieldOf({ ...user("x"), container: "container_1" }), "container");
    assert.equal(
      fieldOf({ ...user("x"), mcp_servers: [{ type: "url", url: "https://m", name: "m" }] }),
      "mcp_servers",
    );
    assert.equal(parse({ ...user("x"), container: null }).messages.length, 1);
  });

  it("out-of-range or missing scalars", () => {
    assert.equal(refusal(() => parseMessagesBody({ model: "m", ...user("x") }, {})).field, "max_tokens");
    assert.equal(fieldOf({ ...user("x"), temperature: 1.5 }), "temperature");
    assert.equal(
      fieldOf({ ...user("x"), thinking: { type: "enabled", budget_tokens: 500 } }),
      "thinking.budget_tokens",
    );
    assert.equal(fieldOf({ ...user("x"), tool_choice: { type: "tool" } }), "tool_choice.name");
    assert.equal(fieldOf({ messages: [{ role: "system", content: "x" }] }), "messages[0].role");
    assert.equal(fieldOf({ ...user("x"), tools: [{ name: "bad name", input_schema: {} }] }), "tools[0].name");
  });

  it("holds a body to the gateway's own limits in this door's terms, so what it takes passes them", () => {
    // Any upstream may answer: tool names of 1-64 characters (OpenAI's rule), 64 stop sequences.
    const tools = (name: string) => ({ ...user("x"), tools: [{ name, input_schema: {} }] });
    const stops = (n: number) => ({
      ...user("x"),
      stop_sequences: Array.from({ length: n }, (_, i) => `s${i}`),
    });
    assert.equal(fieldOf(tools("t".repeat(65))), "tools[0].name");
    assert.equal(fieldOf(stops(65)), "stop_sequences");
    for (const body of [tools("t".repeat(64)), stops(64)]) checkChatRequest(parse(body));
  });
});

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { GatewayError, type ErrorCode } from "@switchyard/common";
import { ChatResponseSchema, UsageSchema } from "@switchyard/proto";
import { anthropicError } from "./anthropic-errors.js";
import { anthropicModelJson, anthropicModelList } from "./anthropic-models.js";
import { anthropicUsageJson, messageIdFor, messageJson, stopReason } from "./anthropic-response.js";

interface ResponseCase {
  name: string;
  alias: string;
  requestId: string;
  response: JsonValue;
  expected: unknown;
}

const fixture = JSON.parse(readFileSync(new URL("./fixtures/responses.json", import.meta.url), "utf8")) as {
  cases: ResponseCase[];
};

describe("Anthropic message JSON: conformance", () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const r = fromJson(ChatResponseSchema, c.response);
      assert.deepEqual(messageJson(r, c.alias, messageIdFor(r.id, c.requestId)), c.expected);
    });
  }
});

describe("Anthropic message JSON: pieces", () => {
  it("stop reasons", () => {
    const table: [string, string, string, string | null][] = [
      ["stop", "", "end_turn", null],
      ["stop", "END", "stop_sequence", "END"],
      ["length", "", "max_tokens", null],
      ["tool_calls", "", "tool_use", null],
      ["content_filter", "", "refusal", null],
      ["", "", "end_turn", null],
      ["error", "", "end_turn", null],
    ];
    for (const [finish, seq, reason, sequence] of table)
      assert.deepEqual(stopReason(finish, seq), { stop_reason: reason, stop_sequence: sequence }, finish);
  });

  it("usage: zeros without one; input_tokens never negative", () => {
    assert.deepEqual(anthropicUsageJson(undefined), {
      input_tokens: 0,
      output_tokens: 0,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
    });
    const odd = create(UsageSchema, { promptTokens: 10, cachedTokens: 8, cacheWriteTokens: 5 });
    assert.equal(anthropicUsageJson(odd)["input_tokens"], 0);
  });

  it("message ids: Anthropic's kept, others made from the request id", () => {
    assert.equal(messageIdFor("msg_01abc", "r1"), "msg_01abc");
    assert.equal(messageIdFor("chatcmpl-9", "r1"), "msg_r1");
    assert.equal(messageIdFor("", "r1"), "msg_r1");
  });
});

describe("Anthropic error answers", () => {
  const table: [ErrorCode, number, string][] = [
    ["invalid_argument", 400, "invalid_request_error"],
    ["blocked", 400, "invalid_request_error"],
    ["unauthenticated", 401, "authentication_error"],
    ["permission_denied", 403, "permission_error"],
    ["key_pending_approval", 403, "permission_error"],
    ["not_found", 404, "not_found_error"],
    ["conflict", 409, "invalid_request_error"],
    ["payload_too_large", 413, "request_too_large"],
    ["rate_limited", 429, "rate_limit_error"],
    ["budget_exceeded", 402, "billing_error"],
    ["unavailable", 529, "overloaded_error"],
    ["upstream_error", 500, "api_error"],
    ["deadline_exceeded", 504, "timeout_error"],
    ["cancelled", 499, "api_error"],
    ["internal", 500, "api_error"],
  ];
  for (const [code, status, type] of table) {
    it(`${code} → ${status} ${type}`, () => {
      assert.deepEqual(anthropicError(new GatewayError(code, "why"), "req_9"), {
        status,
        body: { type: "error", error: { type, message: "why" }, request_id: "req_9" },
      });
    });
  }

  it("an overloaded upstream (529, 503) is overloaded_error; other upstream failures api_error", () => {
    const upstream = (upstreamStatus: number) =>
      anthropicError(new GatewayError("upstream_error", "x", { upstreamStatus })).status;
    assert.equal(upstream(529), 529);
    assert.equal(upstream(503), 529);
    assert.equal(upstream(502), 500);
    assert.equal(
      (
        anthropicError(new GatewayError("upstream_error", "x", { upstreamStatus: 503 })).body["error"] as {
          type: string;
        }
      ).type,
      "overloaded_error",
    );
  });

  it("no request_id without one", () => {
    assert.deepEqual(anthropicError(new GatewayError("not_found", "no such model")).body, {
      type: "error",
      error: { type: "not_found_error", message: "no such model" },
    });
  });
});

describe("Anthropic model list", () => {
  it("models and the list's ends", () => {
    assert.deepEqual(anthropicModelJson("sonnet"), {
      type: "model",
      id: "sonnet",
      display_name: "sonnet",
      created_at: "1970-01-01T00:00:00Z",
    });
    const list = anthropicModelList(["a", "b"]);
    assert.deepEqual([list["first_id"], list["last_id"], list["has_more"]], ["a", "b", false]);
    assert.deepEqual(list["data"], [anthropicModelJson("a"), anthropicModelJson("b")]);
    assert.deepEqual(anthropicModelList([]), { data: [], has_more: false, first_id: null, last_id: null });
  });
});

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { ChatResponseSchema, UsageSchema } from "@switchyard/proto";
import { parseResponsesBody } from "./responses-request.js";
import { responseIds, responseJson, responsesUsageJson, type ResponseContext } from "./responses-response.js";

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8")) as T;

interface ResponsesFixture {
  context: { id: string; alias: string; createdAt: number; body: unknown };
  responses: { name: string; canonical: JsonValue; expected: unknown }[];
}

const { context, responses } = fixture<ResponsesFixture>("responses.json");
const ctx: ResponseContext = { ...context, echo: parseResponsesBody(context.body).echo };

describe("Response object", () => {
  describe("conformance: canonical answers → Response JSON", () => {
    for (const c of responses) {
      it(c.name, () => {
        assert.deepEqual(responseJson(fromJson(ChatResponseSchema, c.canonical), ctx), c.expected);
      });
    }
  });

  it("derives every id from the request id", () => {
    const ids = responseIds("abc");
    assert.deepEqual(
      [ids.response, ids.message, ids.reasoning, ids.functionCall(2)],
      ["resp_abc", "msg_abc", "rs_abc", "fc_abc_2"],
    );
  });

  it("is an in-progress snapshot with no output and no usage before the answer", () => {
    const r = responseJson(undefined, ctx);
    assert.equal(r["status"], "in_progress");
    assert.deepEqual(r["output"], []);
    assert.equal(r["usage"], null);
    assert.equal(r["id"], "resp_req1");
    assert.equal(r["model"], "alias-m");
  });

  it("counts total tokens when the upstream gave none", () => {
    const u = responsesUsageJson(create(UsageSchema, { promptTokens: 3, completionTokens: 4 }));
    assert.equal(u["total_tokens"], 7);
    assert.deepEqual(u["input_tokens_details"], { cached_tokens: 0, cache_write_tokens: 0 });
  });

  it("reports a failed answer (finish reason error) with an error object", () => {
    const r = responseJson(
      create(ChatResponseSchema, { choices: [{ message: { role: "assistant" }, finishReason: "error" }] }),
      ctx,
    );
    assert.equal(r["status"], "failed");
    assert.equal((r["error"] as { code: string }).code, "server_error");
  });
});

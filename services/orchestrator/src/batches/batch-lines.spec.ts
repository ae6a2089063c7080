import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkLine } from "./input-lines.js";
import { lineRequestId } from "./line-runner.js";
import { batchRequestId, notRunLine, resultLine } from "./output-lines.js";
import { createTenantWindow } from "./tenant-window.js";

const line = (over: Record<string, unknown> = {}): string =>
  JSON.stringify({
    custom_id: "r1",
    method: "POST",
    url: "/v1/chat/completions",
    body: { model: "mock-gpt", messages: [{ role: "user", content: "hi" }] },
    ...over,
  });

describe("batch input lines", () => {
  it("accepts a well-formed line and gives its model", () => {
    const seen = new Set<string>();
    const c = checkLine(line(), 3, "/v1/chat/completions", seen);
    assert.ok("ok" in c);
    assert.equal(c.ok.line, 3);
    assert.equal(c.model, "mock-gpt");
    assert.ok(seen.has("r1"));
  });

  it("names the line and the field of each problem", () => {
    const problem = (text: string, seen = new Set<string>()) => {
      const c = checkLine(text, 7, "/v1/chat/completions", seen);
      assert.ok("problem" in c, text);
      assert.equal(c.problem.line, 7);
      return c.problem.param;
    };
    assert.equal(problem("{nope"), null);
    assert.equal(problem("[1]"), null);
    assert.equal(problem(line({ custom_id: "" })), "custom_id");
    assert.equal(problem(line(), new Set(["r1"])), "custom_id");
    assert.equal(problem(line({ method: "GET" })), "method");
    assert.equal(problem(line({ url: "/v1/embeddings" })), "url");
    assert.equal(problem(line({ body: "text" })), "body");
    assert.equal(problem(line({ body: { model: "mock-gpt", messages: [] } })), "body.messages");
    assert.equal(
      problem(line({ body: { model: "m", messages: [{ role: "user", content: "x" }], stream: true } })),
      "body.stream",
    );
  });

  it("checks embedding lines with the embeddings parser", () => {
    const ok = checkLine(
      line({ url: "/v1/embeddings", body: { model: "mock-embed", input: ["a", "b"] } }),
      1,
      "/v1/embeddings",
      new Set(),
    );
    assert.ok("ok" in ok);
    const bad = checkLine(
      line({ url: "/v1/embeddings", body: { model: "mock-embed" } }),
      1,
      "/v1/embeddings",
      new Set(),
    );
    assert.ok("problem" in bad && bad.problem.param?.startsWith("body"));
  });
});

describe("batch line ids and output lines", () => {
  it("makes the request id from the batch and custom ids, a digest when the custom id cannot be one", () => {
    assert.equal(lineRequestId("batch_x", "req-1"), "batch_x-req-1");
    const odd = lineRequestId("batch_x", "a b/c");
    assert.match(odd, /^batch_x-[A-Za-z0-9_-]{32}$/);
    assert.equal(odd, lineRequestId("batch_x", "a b/c"), "stable");
  });

  it("writes OpenAI's output and batch_expired lines with a stable id", () => {
    assert.equal(batchRequestId("b", 1), batchRequestId("b", 1));
    assert.notEqual(batchRequestId("b", 1), batchRequestId("b", 2));
    const ok = JSON.parse(
      resultLine("b", {
        line: 1,
        customId: "c",
        requestId: "b-c",
        statusCode: 200,
        body: { x: 1 },
        usage: { inputTokens: 0, cachedTokens: 0, outputTokens: 0, reasoningTokens: 0 },
      }),
    ) as Record<string, unknown>;
    assert.deepEqual(ok.response, { status_code: 200, request_id: "b-c", body: { x: 1 } });
    assert.equal(ok.error, null);
    const expired = JSON.parse(notRunLine("b", 2, "d", "batch_expired")) as {
      response: null;
      error: { code: string };
    };
    assert.equal(expired.response, null);
    assert.equal(expired.error.code, "batch_expired");
  });
});

describe("tenant window", () => {
  it("lets a tenant run at most its share, the next waiting its turn, other tenants unaffected", async () => {
    const w = createTenantWindow(2);
    const signal = new AbortController().signal;
    const a1 = await w.enter("a", signal);
    await w.enter("a", signal);
    let third = false;
    const waiting = w.enter("a", signal).then((r) => ((third = true), r));
    await w.enter("b", signal); // another tenant has its own share
    await new Promise((r) => setImmediate(r));
    assert.equal(third, false);
    a1();
    await waiting;
    assert.equal(third, true);
  });

  it("stops waiting when the signal aborts", async () => {
    const w = createTenantWindow(1);
    await w.enter("a", new AbortController().signal);
    const ac = new AbortController();
    const waiting = w.enter("a", ac.signal);
    ac.abort(new Error("cancelled"));
    await assert.rejects(waiting, /cancelled/);
  });
});

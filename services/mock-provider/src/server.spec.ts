/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument --
   Wire-shape assertions read untyped vendor JSON; typing every vendor body here would only restate the assertions. */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, it } from "node:test";
import type { MockRequestRecord } from "./types.js";
import { postJson, useMock } from "./spec-helpers.js";

const ctx = useMock({ defaults: { words: 6 } });
const auth = { authorization: "Bearer k" };
const chat = (content: string, stream = false) => ({
  model: "mock-gpt",
  stream,
  messages: [{ role: "user", content }],
});

async function records(marker: string): Promise<MockRequestRecord[]> {
  return (await (
    await fetch(`${ctx.mock.url}/_mock/requests?marker=${marker}`)
  ).json()) as MockRequestRecord[];
}

async function until(pred: () => Promise<boolean>, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(10);
  }
}

describe("controls, recording and failure modes", () => {
  it("serves /healthz and labels every response as a mock", async () => {
    const res = await fetch(`${ctx.mock.url}/healthz`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-mock-provider"), "true");
    const miss = await fetch(`${ctx.mock.url}/nowhere`);
    assert.equal(miss.status, 404);
    assert.equal(miss.headers.get("x-mock-provider"), "true");
  });

  it("applies server defaults, then path, header and prompt directive in increasing precedence", async () => {
    const text = async (path: string, content: string, headers: Record<string, string> = {}) =>
      (
        (await (
          await postJson(`${ctx.mock.url}${path}`, chat(content), { ...auth, ...headers })
        ).json()) as any
      ).choices[0].message.content as string;
    const words = (s: string) => s.split(" ").length - 4;
    assert.equal(words(await text("/openai/v1/chat/completions", "a")), 6);
    assert.equal(words(await text("/_mock/words=2/openai/v1/chat/completions", "a")), 2);
    assert.equal(
      words(await text("/_mock/words=2/openai/v1/chat/completions", "a", { "x-mock-controls": "words=3" })),
      3,
    );
    assert.equal(
      words(
        await text("/_mock/words=2/openai/v1/chat/completions", "a [mock:words=4]", {
          "x-mock-controls": "words=3",
        }),
      ),
      4,
    );
    const bad = await postJson(`${ctx.mock.url}/openai/v1/chat/completions`, chat("a"), {
      ...auth,
      "x-mock-controls": "nope=1",
    });
    assert.equal(bad.status, 400);
  });

  it("fails with 429 + Retry-After from a path prefix, while the plain path works", async () => {
    const res = await postJson(
      `${ctx.mock.url}/_mock/error=429,retry_after=5/openai/v1/chat/completions`,
      chat("x"),
      auth,
    );
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "5");
    assert.equal(((await res.json()) as any).error.code, "rate_limit_exceeded");
    assert.equal((await postJson(`${ctx.mock.url}/openai/v1/chat/completions`, chat("x"), auth)).status, 200);
  });

  it("fail_first=N fails only the first N requests with the same x-mock-key", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await postJson(`${ctx.mock.url}/openai/v1/chat/completions`, chat("retry me"), {
        ...auth,
        "x-mock-controls": "fail_first=2,error=500",
        "x-mock-key": "retry-test-1",
      });
      statuses.push(res.status);
      await res.body?.cancel();
    }
    assert.deepEqual(statuses, [500, 500, 200, 200]);
  });

  it("cut=N sends N content chunks then drops the connection without a terminal event", async () => {
    const res = await postJson(
      `${ctx.mock.url}/openai/v1/chat/completions`,
      chat("cut [marker:cut1] [mock:cut=3]", true),
      auth,
    );
    assert.equal(res.status, 200);
    let received = "";
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    await assert.rejects(async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received += decoder.decode(value);
      }
    });
    assert.doesNotMatch(received, /\[DONE\]/);
    assert.equal((received.match(/"content":"[^"]/g) ?? []).length, 3);
    const [rec] = await records("cut1");
    assert.equal(rec?.outcome, "cut");
  });

  it("hang=1 never answers; a client abort is recorded as client_closed", async () => {
    const abort = new AbortController();
    const pending = postJson(
      `${ctx.mock.url}/openai/v1/chat/completions`,
      chat("hang [marker:hang1]"),
      { ...auth, "x-mock-controls": "hang=1", "x-request-id": "rid-42" },
      {
        signal: abort.signal,
      },
    );
    await until(async () => (await records("hang1"))[0]?.outcome === "in_flight");
    await sleep(50);
    abort.abort();
    await assert.rejects(pending);
    await until(async () => (await records("hang1"))[0]?.outcome === "client_closed");
    const [rec] = await records("hang1");
    assert.equal(rec?.requestId, "rid-42");
    assert.equal(rec?.controls.hang, 1);
  });

  it("a client that leaves mid-stream is recorded as client_closed", async () => {
    const abort = new AbortController();
    const res = await postJson(
      `${ctx.mock.url}/openai/v1/chat/completions`,
      chat("slow [marker:leave1] [mock:gap=200]", true),
      auth,
      {
        signal: abort.signal,
      },
    );
    const reader = res.body!.getReader();
    await reader.read();
    abort.abort();
    await until(async () => (await records("leave1"))[0]?.outcome === "client_closed");
  });

  it("latency delays the answer and ttft/gap pace the stream", async () => {
    let t = Date.now();
    await (
      await postJson(`${ctx.mock.url}/openai/v1/chat/completions`, chat("x [mock:latency=150]"), auth)
    ).text();
    assert.ok(Date.now() - t >= 140);
    t = Date.now();
    await (
      await postJson(
        `${ctx.mock.url}/openai/v1/chat/completions`,
        chat("x [mock:ttft=100,gap=20,words=2]", true),
        auth,
      )
    ).text();
    assert.ok(Date.now() - t >= 100 + 5 * 20 - 10);
  });

  it("records requests with marker, model, stream and outcome; DELETE clears them", async () => {
    await postJson(`${ctx.mock.url}/openai/v1/chat/completions`, chat("rec [marker:rec1]", true), auth).then(
      (r) => r.text(),
    );
    await postJson(
      `${ctx.mock.url}/openai/v1/chat/completions`,
      chat("rec [marker:rec1] [mock:error=503]"),
      auth,
    ).then((r) => r.text());
    const recs = await records("rec1");
    assert.deepEqual(
      recs.map((r) => [r.provider, r.model, r.stream, r.outcome, r.status]),
      [
        ["openai", "mock-gpt", true, "completed", 200],
        ["openai", "mock-gpt", false, "error", 503],
      ],
    );
    assert.ok(ctx.mock.requests().length >= 2);
    const del = await fetch(`${ctx.mock.url}/_mock/requests`, { method: "DELETE" });
    assert.equal(del.status, 204);
    assert.deepEqual(await records("rec1"), []);
  });
});

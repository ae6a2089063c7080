// Limits end to end, with two ingress and two meter replicas sharing them through Redis and a
// 3-second window: requests per window (sliding, across the window's edge), tokens per window
// (reserved at admission, settled to what was used), requests in flight, a team's limit over
// its keys, a key's limit with one model; the x-ratelimit-* headers on answers and refusals,
// over HTTP (unary and stream) and gRPC.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Metadata, credentials, status, type ServiceError } from "@grpc/grpc-js";
import { grpcClientConstructor } from "@switchyard/common";
import { sha256Key } from "@switchyard/devkit";
import { Gateway, type ChatResponse } from "@switchyard/proto";
import { startGateway, type GatewayUnderTest } from "./harness/gateway.js";

const WINDOW_MS = 3000;

const KEY = {
  rpm: "sy-test-rpm-5",
  tpm: "sy-test-tpm-600",
  concurrency: "sy-test-concurrency-2",
  teamA: "sy-test-team-a",
  teamB: "sy-test-team-b",
  model: "sy-test-claude-1",
  grpc: "sy-test-grpc-2",
} as const;

interface Answer {
  status: number;
  headers: Headers;
  body: { error?: { message: string; code: string } };
}

describe("limits", () => {
  let gw: GatewayUnderTest;
  let turn = 0;

  /** A chat request through the ingress replicas in turn. */
  const chat = async (key: string, opts: { model?: string; text?: string; maxTokens?: number } = {}) => {
    const url = gw.httpUrls[turn++ % gw.httpUrls.length]!;
    const res = await fetch(`${url}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: opts.model ?? "mock-gpt",
        messages: [{ role: "user", content: opts.text ?? "hello" }],
        ...(opts.maxTokens === undefined ? {} : { max_tokens: opts.maxTokens }),
      }),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Answer["body"] };
  };
  /** Retries `key`'s request until it is admitted (settlement is asynchronous), for up to 3 s. */
  const admittedSoon = async (key: string, opts: Parameters<typeof chat>[1] = {}): Promise<Answer> => {
    let last: Answer | undefined;
    for (let i = 0; i < 30; i++) {
      last = await chat(key, opts);
      if (last.status !== 429) return last;
      await sleep(100);
    }
    return last!;
  };

  before(async () => {
    gw = await startGateway({
      replicas: { ingress: 2, meter: 2 },
      gatewayFile: (file) => {
        const key = (id: string, secret: string, extra: object) => ({
          id,
          tenant: "local",
          hash: sha256Key(secret),
          ...extra,
        });
        file.limits = { window_ms: WINDOW_MS, default_output_tokens: 64 };
        file.teams = [{ id: "squad", tenant: "local", rpm: 3 }];
        (file.keys as object[]).push(
          key("rpm", KEY.rpm, { rpm: 5 }),
          key("tpm", KEY.tpm, { tpm: 600 }),
          key("concurrency", KEY.concurrency, { concurrency: 2 }),
          key("team-a", KEY.teamA, { team: "squad" }),
          key("team-b", KEY.teamB, { team: "squad" }),
          key("model", KEY.model, { model_limits: { "mock-claude": { rpm: 1 } } }),
          key("grpc", KEY.grpc, { rpm: 2 }),
        );
      },
    });
  });
  after(async () => {
    await gw?.stop();
  });

  it("counts requests over one sliding window across every replica, and says so in headers", async () => {
    const statuses: number[] = [];
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const a = await chat(KEY.rpm);
      statuses.push(a.status);
      remaining.push(a.headers.get("x-ratelimit-remaining-requests"));
    }
    const firstDone = Date.now();
    await sleep(1500);
    for (let i = 0; i < 2; i++) {
      const a = await chat(KEY.rpm);
      statuses.push(a.status);
      remaining.push(a.headers.get("x-ratelimit-remaining-requests"));
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200]);
    assert.deepEqual(remaining, ["4", "3", "2", "1", "0"]);
    const refused = await chat(KEY.rpm);
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error?.code, "rate_limited");
    assert.match(refused.body.error?.message ?? "", /key's limit of requests per minute/);
    assert.equal(refused.headers.get("x-ratelimit-limit-requests"), "5");
    assert.equal(refused.headers.get("x-ratelimit-remaining-requests"), "0");
    const retryMs = Number(refused.headers.get("retry-after-ms"));
    assert.ok(retryMs > 0 && retryMs <= WINDOW_MS - 1400, `retry-after-ms ${retryMs}`);

    // Past the first three requests' window, three fit again, not a fresh window's five: the
    // last two still count.
    await sleep(firstDone + WINDOW_MS + 100 - Date.now());
    const burst = await Promise.all(Array.from({ length: 5 }, () => chat(KEY.rpm)));
    assert.deepEqual(burst.map((a) => a.status).sort(), [200, 200, 200, 429, 429]);
  });

  it("reserves prompt plus max_tokens and settles to the tokens used", async () => {
    const ok = await chat(KEY.tpm, { maxTokens: 10 });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("x-ratelimit-limit-tokens"), "600");
    const left = Number(ok.headers.get("x-ratelimit-remaining-tokens"));
    assert.ok(left < 600 - 10 && left > 600 - 40, `remaining tokens ${left}`);

    const tooLarge = await chat(KEY.tpm, { maxTokens: 1000 });
    assert.equal(tooLarge.status, 429);
    assert.match(tooLarge.body.error?.message ?? "", /needs \d+ tokens .* more than the key's limit/);
    assert.equal(tooLarge.headers.get("retry-after"), null, "waiting does not help");

    // One slow request holds 500 tokens of output while it runs: a second one does not fit...
    const slow = chat(KEY.tpm, { maxTokens: 500, text: "[mock:latency=1500] slow" });
    await sleep(300);
    const refused = await chat(KEY.tpm, { maxTokens: 500 });
    assert.equal(refused.status, 429);
    assert.match(refused.body.error?.message ?? "", /limit of tokens per minute/);
    assert.equal((await slow).status, 200);
    // ...and fits once the slow one has settled to the few tokens it used.
    const after = await admittedSoon(KEY.tpm, { maxTokens: 500 });
    assert.equal(after.status, 200);
  });

  it("limits requests in flight, and frees a slot when a request ends", async () => {
    const slow = () => chat(KEY.concurrency, { text: "[mock:latency=1200] slow" });
    const running = [slow(), slow()];
    await sleep(300);
    const refused = await chat(KEY.concurrency);
    assert.equal(refused.status, 429);
    assert.match(refused.body.error?.message ?? "", /limit of requests in flight/);
    assert.deepEqual(
      (await Promise.all(running)).map((a) => a.status),
      [200, 200],
    );
    assert.equal((await admittedSoon(KEY.concurrency)).status, 200);
  });

  it("holds a team's keys to the team's limit", async () => {
    assert.equal((await chat(KEY.teamA)).status, 200);
    assert.equal((await chat(KEY.teamA)).status, 200);
    assert.equal((await chat(KEY.teamB)).status, 200);
    const refused = await chat(KEY.teamB);
    assert.equal(refused.status, 429);
    assert.match(refused.body.error?.message ?? "", /team's limit of requests/);
  });

  it("holds a key to its limit with one model, and not with the others", async () => {
    assert.equal((await chat(KEY.model, { model: "mock-claude" })).status, 200);
    const refused = await chat(KEY.model, { model: "mock-claude" });
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get("x-ratelimit-limit-requests"), "1");
    assert.equal((await chat(KEY.model, { model: "mock-gpt" })).status, 200);
    assert.equal((await chat(KEY.model, { model: "mock-gpt" })).status, 200);
  });

  it("sends the headers on a stream, before its first chunk", async () => {
    const res = await fetch(`${gw.httpUrl}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY.tpm}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "mock-gpt",
        stream: true,
        max_tokens: 20,
        messages: [{ role: "user", content: "stream" }],
      }),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-ratelimit-limit-tokens"), "600");
    assert.ok(Number(res.headers.get("x-ratelimit-remaining-tokens")) < 600);
    assert.match(await res.text(), /\[DONE\]/);
  });

  it("sends them as gRPC metadata, and refuses with RESOURCE_EXHAUSTED", async () => {
    const Client = grpcClientConstructor(Gateway);
    const client = new Client(gw.grpcAddress, credentials.createInsecure()) as unknown as {
      chat(
        req: unknown,
        md: Metadata,
        cb: (e: ServiceError | null, r: ChatResponse) => void,
      ): { on(event: "metadata", fn: (md: Metadata) => void): void };
      close(): void;
    };
    const md = new Metadata();
    md.set("authorization", `Bearer ${KEY.grpc}`);
    const req = {
      model: "mock-gpt",
      messages: [{ role: "user", content: [{ part: { case: "text", value: "hi" } }] }],
    };
    const call = () =>
      new Promise<{ err: ServiceError | null; headers?: Metadata }>((resolve) => {
        let headers: Metadata | undefined;
        const c = client.chat(req, md, (err) => resolve({ err, headers }));
        c.on("metadata", (h) => (headers = h));
      });
    try {
      const first = await call();
      assert.equal(first.err, null);
      assert.deepEqual(first.headers?.get("x-ratelimit-remaining-requests"), ["1"]);
      await call();
      const refused = await call();
      assert.equal(refused.err?.code, status.RESOURCE_EXHAUSTED);
      assert.deepEqual(refused.err?.metadata.get("x-ratelimit-limit-requests"), ["2"]);
      assert.ok(Number(refused.err?.metadata.get("retry-after-ms")[0]) > 0);
    } finally {
      client.close();
    }
  });
});

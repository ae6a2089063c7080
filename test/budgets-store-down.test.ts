// Redis stopped under traffic, on a Redis of this test's own: a tenant whose budgets fail open
// keeps being served (uncounted, and charged once settlement can write again), a tenant whose
// budgets fail closed (the default) is answered 503 — nothing answers 500 — and both are
// served normally once Redis is back, by the same meter processes.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { sha256Key } from "@switchyard/devkit";
import { freePorts, startStack, type Stack } from "@switchyard/local-stack";
import { tempDir } from "./harness/env.js";
import { startGateway, type GatewayUnderTest } from "./harness/gateway.js";

const SECRET = { open: "sy-test-store-down-open", closed: "sy-test-store-down-closed" } as const;

describe("budgets while Redis is down", () => {
  let stack: Stack;
  let gw: GatewayUnderTest;
  let turn = 0;

  const chat = async (key: string, url = gw.httpUrls[turn++ % gw.httpUrls.length]!) => {
    const res = await fetch(`${url}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "mock-gpt", messages: [{ role: "user", content: "hi" }], max_tokens: 8 }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json()) as { error?: { code: string; message: string } };
    return { status: res.status, code: body.error?.code ?? "", message: body.error?.message ?? "" };
  };

  before(async () => {
    stack = await startStack({
      ports: await freePorts(),
      dataDir: join(tempDir("store-down"), "stack"),
      servers: ["redis"],
    });
    gw = await startGateway({
      replicas: { ingress: 2, meter: 2 },
      env: { SWITCHYARD_REDIS_URL: stack.urls.redis },
      gatewayFile: (file) => {
        (file.tenants as object[]).push(
          { id: "lenient", on_store_down: { limits: "open", budgets: "open" } },
          { id: "strict" },
        );
        (file.keys as object[]).push(
          { id: "open", tenant: "lenient", hash: sha256Key(SECRET.open), budget: { usd: 100 }, rpm: 100_000 },
          {
            id: "closed",
            tenant: "strict",
            hash: sha256Key(SECRET.closed),
            budget: { usd: 100 },
            rpm: 100_000,
          },
        );
      },
    });
  });
  after(async () => {
    await gw?.stop();
    await stack?.stop();
  });

  it("serves fail-open tenants, answers 503 to fail-closed ones, never 500, and recovers", async () => {
    // Both keys known to every ingress and meter replica before the outage.
    for (let i = 0; i < 4; i++)
      for (const url of gw.httpUrls)
        for (const key of [SECRET.open, SECRET.closed]) assert.equal((await chat(key, url)).status, 200);

    await stack.kill("redis");
    const during: Record<string, { status: number; code: string; message: string }[]> = {
      open: [],
      closed: [],
    };
    const until = Date.now() + 3_000;
    await Promise.all(
      Array.from({ length: 8 }, async (_, c) => {
        const which = c % 2 === 0 ? "open" : "closed";
        while (Date.now() < until) during[which]!.push(await chat(SECRET[which]));
      }),
    );
    const statuses = (xs: { status: number }[]) => [...new Set(xs.map((x) => x.status))].sort();
    assert.deepEqual(
      statuses(during.open!),
      [200],
      JSON.stringify(during.open!.filter((x) => x.status !== 200)[0]),
    );
    assert.deepEqual(statuses(during.closed!), [503]);
    assert.ok(during.closed!.every((x) => x.code === "unavailable"));

    // The meters counted and said what they did.
    let counted = 0;
    for (const p of gw.procs("meter")) {
      const text = await (await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`)).text();
      for (const m of text.matchAll(
        /^switchyard_meter_store_down_total\{[^}]*check="budgets"[^}]*\} (\d+)/gm,
      ))
        counted += Number(m[1]);
    }
    assert.ok(counted >= during.open!.length + during.closed!.length, `store-down count ${counted}`);

    await stack.start("redis");
    const back = Date.now();
    let recovered = false;
    while (!recovered && Date.now() - back < 20_000) {
      recovered = (await chat(SECRET.closed)).status === 200;
      if (!recovered) await sleep(250);
    }
    assert.ok(recovered, "the fail-closed tenant is served again once Redis is back");
    assert.equal((await chat(SECRET.open)).status, 200);
    console.log(
      `during the outage: ${during.open!.length} fail-open requests answered 200, ${during.closed!.length} fail-closed answered 503; recovered ${Date.now() - back} ms after Redis came back`,
    );
  });
});

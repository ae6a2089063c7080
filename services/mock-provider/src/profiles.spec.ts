/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument --
   Reads untyped vendor JSON from the mock's answers. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { splitControlPath } from "./controls.js";
import { ControlProfiles } from "./profiles.js";
import { postJson, useMock } from "./spec-helpers.js";

const ctx = useMock({ defaults: { words: 6 } });
const auth = { authorization: "Bearer k" };
const chat = (content: string) => ({ model: "mock-gpt", messages: [{ role: "user", content }] });

const putProfile = (name: string, text: string): Promise<Response> =>
  fetch(`${ctx.mock.url}/_mock/profiles/${name}`, { method: "PUT", body: text });
const viaProfile = (name: string, content = "hi", headers: Record<string, string> = {}): Promise<Response> =>
  postJson(`${ctx.mock.url}/_mock/profile/${name}/openai/v1/chat/completions`, chat(content), {
    ...auth,
    ...headers,
  });
const wordsOf = async (res: Response): Promise<number> =>
  ((await res.json()) as any).choices[0].message.content.split(" ").length - 4;

describe("named control profiles", () => {
  it("PUT sets a profile, GET returns it, and requests under /_mock/profile/<name>/ take its controls", async () => {
    const put = await putProfile("premium", "error=503, latency=5");
    assert.equal(put.status, 200);
    assert.deepEqual(await put.json(), {
      name: "premium",
      text: "error=503, latency=5",
      controls: { error: 503, latency: 5 },
    });
    const got = (await (await fetch(`${ctx.mock.url}/_mock/profiles/premium`)).json()) as any;
    assert.deepEqual(got.controls, { error: 503, latency: 5 });
    const res = await viaProfile("premium");
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as any).error.type, "server_error");
  });

  it("changes take effect for the next request, and an empty body clears the profile", async () => {
    await putProfile("flip", "error=500");
    assert.equal((await viaProfile("flip")).status, 500);
    await putProfile("flip", "words=2");
    assert.equal(await wordsOf(await viaProfile("flip")), 2);
    assert.equal((await putProfile("flip", "")).status, 200);
    const cleared = (await (await fetch(`${ctx.mock.url}/_mock/profiles/flip`)).json()) as any;
    assert.deepEqual(cleared.controls, {});
    assert.equal(await wordsOf(await viaProfile("flip")), 6, "back to the server defaults");
  });

  it("an unknown profile has no controls: the request is served normally", async () => {
    const res = await viaProfile("never-set");
    assert.equal(res.status, 200);
    assert.equal(await wordsOf(res), 6);
    const got = (await (await fetch(`${ctx.mock.url}/_mock/profiles/never-set`)).json()) as any;
    assert.deepEqual(got, { name: "never-set", text: "", controls: {} });
  });

  it("ranks with path controls: above the server defaults, below the header and the prompt directive", async () => {
    await putProfile("ranked", "words=2");
    assert.equal(await wordsOf(await viaProfile("ranked")), 2);
    assert.equal(await wordsOf(await viaProfile("ranked", "a", { "x-mock-controls": "words=3" })), 3);
    assert.equal(
      await wordsOf(await viaProfile("ranked", "a [mock:words=4]", { "x-mock-controls": "words=3" })),
      4,
    );
  });

  it("rejects bad control text with a 400 naming the problem, and keeps the profile as it was", async () => {
    await putProfile("kept", "words=3");
    const bad = await putProfile("kept", "latency=fast");
    assert.equal(bad.status, 400);
    assert.match(
      ((await bad.json()) as any).error.message,
      /Invalid mock controls for profile "kept": mock control "latency" needs a number >= 0/,
    );
    const unknown = await putProfile("kept", "slowness=3");
    assert.equal(unknown.status, 400);
    assert.match(((await unknown.json()) as any).error.message, /unknown mock control "slowness"/);
    assert.equal(await wordsOf(await viaProfile("kept")), 3);
  });

  it("rejects a bad profile name and methods other than GET and PUT", async () => {
    const name = await putProfile("a%20b", "words=1");
    assert.equal(name.status, 400);
    assert.match(((await name.json()) as any).error.message, /Invalid profile name/);
    const del = await fetch(`${ctx.mock.url}/_mock/profiles/x`, { method: "DELETE" });
    assert.equal(del.status, 405);
    assert.equal(del.headers.get("allow"), "GET, PUT");
    await del.body?.cancel();
  });

  it("applies a profile's latency and jitter to the answer time", async () => {
    await putProfile("slow", "latency=60");
    let t = Date.now();
    await (await viaProfile("slow")).text();
    assert.ok(Date.now() - t >= 55);
    // 40 answers with a 20 ms mean jitter take about 800 ms; under 320 ms has a chance below 1e-7.
    await putProfile("slow", "jitter=20");
    t = Date.now();
    for (let i = 0; i < 40; i++) await (await viaProfile("slow")).text();
    assert.ok(Date.now() - t >= 320, `40 answers took ${Date.now() - t} ms`);
  });
});

describe("profile paths and the profile store", () => {
  it("splits /_mock/profile/<name>/rest apart from /_mock/<controls>/rest", () => {
    assert.deepEqual(splitControlPath("/_mock/profile/premium/openai/v1/chat/completions"), {
      profile: "premium",
      path: "/openai/v1/chat/completions",
    });
    assert.deepEqual(splitControlPath("/_mock/latency=5/openai/v1/models"), {
      controls: "latency=5",
      path: "/openai/v1/models",
    });
    assert.deepEqual(splitControlPath("/_mock/profiles/premium/openai/v1/models"), {
      path: "/_mock/profiles/premium/openai/v1/models",
    });
  });

  it("keeps a profile unchanged when new text fails to parse", () => {
    const store = new ControlProfiles();
    store.set("p", "latency=10");
    assert.throws(() => store.set("p", "latency=-1"), /needs a number >= 0/);
    assert.deepEqual(store.get("p").controls, { latency: 10 });
  });
});

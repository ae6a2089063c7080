import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLookupCache } from "./lookup-cache.js";

describe("lookup cache", () => {
  it("keeps answers for their time, shares concurrent misses, and forgets on demand", async () => {
    let t = 0;
    let calls = 0;
    const cache = createLookupCache<string>({
      fetch: (k) => {
        calls++;
        return Promise.resolve(k === "none" ? undefined : `v-${k}-${calls}`);
      },
      ttlMs: 100,
      absentTtlMs: 10,
      max: 2,
      now: () => t,
    });
    const [a, b] = await Promise.all([cache.get("a"), cache.get("a")]);
    assert.equal(a, "v-a-1");
    assert.equal(b, "v-a-1");
    assert.equal(await cache.get("a"), "v-a-1");
    t = 101;
    assert.equal(await cache.get("a"), "v-a-2");
    cache.forget("a");
    assert.equal(await cache.get("a"), "v-a-3");
    assert.equal(await cache.get("none"), undefined);
    assert.equal(calls, 4);
  });

  it("does not keep an answer that was on its way when the key was forgotten", async () => {
    let release: (v: string) => void = () => undefined;
    let calls = 0;
    const cache = createLookupCache<string>({
      fetch: () => {
        calls++;
        return calls === 1 ? new Promise((r) => (release = r)) : Promise.resolve("fresh");
      },
      ttlMs: 1000,
      absentTtlMs: 1000,
      max: 10,
    });
    const first = cache.get("k");
    cache.forget("k");
    release("stale");
    assert.equal(await first, "stale");
    assert.equal(await cache.get("k"), "fresh");
  });

  it("answers with a recently expired entry while the lookup fails, and not with a forgotten one", async () => {
    let t = 0;
    let failing = false;
    const cache = createLookupCache<string>({
      fetch: (k) => (failing ? Promise.reject(new Error("store down")) : Promise.resolve(`v-${k}`)),
      ttlMs: 100,
      absentTtlMs: 100,
      max: 10,
      staleIfErrorMs: 1000,
      now: () => t,
    });
    assert.equal(await cache.get("a"), "v-a");
    assert.equal(await cache.get("b"), "v-b");
    failing = true;
    t = 500;
    assert.equal(await cache.get("a"), "v-a", "stale, since the store is down");
    cache.forget("b");
    await assert.rejects(cache.get("b"), /store down/);
    t = 1200;
    await assert.rejects(cache.get("a"), /store down/, "too old to use");
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  AttemptResult,
  AttemptSampleSchema,
  DeploymentWindowSchema,
  SecondCountsSchema,
  type DeploymentWindow,
} from "@switchyard/proto";
import { fromKeyToken, keyToken, parseStatsKey, windowKey } from "./bucket.js";
import { countsSince, liveWindows, samplesSince, summarize } from "./summary.js";

const NOW = 1_000_000_000;

function windowOf(
  latencies: number[],
  fields: MessageInitShape<typeof DeploymentWindowSchema> = {},
  spacingMs = 10,
): DeploymentWindow {
  return create(DeploymentWindowSchema, {
    atUnixMs: BigInt(NOW),
    samples: latencies.map((ms, i) =>
      create(AttemptSampleSchema, {
        atUnixMs: BigInt(NOW - (latencies.length - i) * spacingMs),
        latencyMs: ms,
        result: AttemptResult.OK,
      }),
    ),
    ...fields,
  });
}

describe("routing statistics summary", () => {
  it("merges replicas' samples into percentiles and in-flight counts", () => {
    const a = windowOf(
      Array.from({ length: 50 }, (_, i) => 100 + i),
      { inFlight: 3 },
    );
    const b = windowOf(
      Array.from({ length: 50 }, (_, i) => 150 + i),
      { inFlight: 2 },
    );
    const s = summarize([a, b], NOW);
    assert.equal(s.samples, 100);
    assert.equal(s.p50Ms, 149);
    assert.equal(s.p95Ms, 194);
    assert.equal(s.inFlight, 5);
  });

  it("weighs recent samples most in the decayed mean, and ignores old ones", () => {
    const old = Array.from({ length: 20 }, () => 100);
    const fresh = Array.from({ length: 5 }, () => 400);
    const s = summarize([windowOf([...old, ...fresh], {}, 200)], NOW);
    assert.ok(s.decayedMs > 200, `decayed ${s.decayedMs}`);
    const stale = summarize([windowOf(old, {}, 1000)], NOW + 60_000);
    assert.equal(stale.samples, 0);
    assert.ok(Number.isNaN(stale.p95Ms));
  });

  it("counts outcomes by second and by exact time", () => {
    const sec = BigInt(NOW / 1000);
    const w = create(DeploymentWindowSchema, {
      atUnixMs: BigInt(NOW),
      seconds: [
        create(SecondCountsSchema, { second: sec - 20n, ok: 100 }),
        create(SecondCountsSchema, { second: sec - 1n, ok: 6, failed: 3, throttled: 1 }),
      ],
      samples: [
        create(AttemptSampleSchema, { atUnixMs: BigInt(NOW - 500), result: AttemptResult.FAILED }),
        create(AttemptSampleSchema, { atUnixMs: BigInt(NOW - 100), result: AttemptResult.OK, latencyMs: 5 }),
      ],
    });
    assert.deepEqual(countsSince([w], NOW - 10_000), { ok: 6, failed: 3, throttled: 1 });
    assert.equal(summarize([w], NOW).errorRate, 0.4);
    assert.deepEqual(samplesSince([w], NOW - 300), { ok: 1, failed: 0 });
    assert.equal(liveWindows([w], NOW + 31_000).length, 0);
  });

  it("keys any id and instance as KV key tokens, and back", () => {
    for (const id of ["openai:gpt-4o.eu", "a_b-c", "x/y z"]) assert.equal(fromKeyToken(keyToken(id)), id);
    assert.match(windowKey("a.b:c", "host:12"), /^w\.[A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]+$/);
    assert.deepEqual(parseStatsKey(windowKey("a.b", "h:1")), {
      kind: "window",
      deployment: "a.b",
      instance: "h:1",
    });
    assert.equal(parseStatsKey("zzz"), undefined);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { RetryPolicySchema } from "@switchyard/proto";
import { decideRetry, type RetryInput } from "./retries.js";

const policy = create(RetryPolicySchema, { attempts: 3, baseMs: 100, maxMs: 300 });
const decide = (over: Partial<RetryInput>) =>
  decideRetry({ policy, retried: 0, retryAfterMs: 0, msLeft: 60_000, ...over });

describe("decideRetry", () => {
  it("never retries without a policy, or with zero attempts", () => {
    assert.deepEqual(decide({ policy: undefined }), { retry: false, reason: "none" });
    assert.deepEqual(decide({ policy: create(RetryPolicySchema, { attempts: 0, baseMs: 1, maxMs: 1 }) }), {
      retry: false,
      reason: "none",
    });
  });

  it("retries `attempts` times, then falls back", () => {
    for (const retried of [0, 1, 2]) assert.equal(decide({ retried }).retry, true, `retry ${retried}`);
    assert.deepEqual(decide({ retried: 3 }), { retry: false, reason: "exhausted" });
  });

  it("waits a random time below base × 2^n, capped at max (full jitter)", () => {
    const wait = (retried: number, r: number) => {
      const d = decide({ retried, random: () => r });
      assert.ok(d.retry);
      return d.waitMs;
    };
    assert.deepEqual([wait(0, 0), wait(1, 0), wait(2, 0)], [0, 0, 0]);
    // Just below 1: the ceiling of each retry, less one millisecond.
    assert.deepEqual([wait(0, 0.9999), wait(1, 0.9999), wait(2, 0.9999)], [99, 199, 299]);
    assert.equal(wait(1, 0.5), 100);
  });

  it("waits the upstream's Retry-After when it is longer than the backoff", () => {
    assert.deepEqual(decide({ retryAfterMs: 250, random: () => 0.5 }), { retry: true, waitMs: 250 });
    assert.deepEqual(decide({ retryAfterMs: 10, random: () => 0.5 }), { retry: true, waitMs: 50 });
  });

  it("falls back instead of waiting longer than max_ms for a Retry-After", () => {
    assert.deepEqual(decide({ retryAfterMs: 301 }), { retry: false, reason: "retry_after" });
    assert.equal(decide({ retryAfterMs: 300 }).retry, true);
  });

  it("falls back instead of waiting into the deadline", () => {
    assert.deepEqual(decide({ retryAfterMs: 250, msLeft: 250 }), { retry: false, reason: "deadline" });
    assert.deepEqual(decide({ msLeft: 40, random: () => 0.5 }), { retry: false, reason: "deadline" });
    assert.deepEqual(decide({ msLeft: 0, random: () => 0 }), { retry: false, reason: "deadline" });
    assert.deepEqual(decide({ msLeft: 60, random: () => 0.5 }), { retry: true, waitMs: 50 });
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { answerDelayMs } from "./delay.js";

describe("answer delay: latency plus exponential jitter", () => {
  it("is the latency alone without jitter, whatever the random draw", () => {
    assert.equal(
      answerDelayMs({ latency: 120 }, () => 0.99),
      120,
    );
    assert.equal(
      answerDelayMs({}, () => 0.5),
      0,
    );
    assert.equal(
      answerDelayMs({ latency: 50, jitter: 0 }, () => 0.9),
      50,
    );
  });

  it("adds the exponential quantile of the draw: the median is mean × ln 2, the 99th percentile mean × ln 100", () => {
    assert.equal(
      answerDelayMs({ latency: 100, jitter: 40 }, () => 0),
      100,
    );
    assert.ok(
      Math.abs(answerDelayMs({ latency: 100, jitter: 40 }, () => 0.5) - (100 + 40 * Math.LN2)) < 1e-9,
    );
    assert.ok(Math.abs(answerDelayMs({ jitter: 40 }, () => 0.99) - 40 * Math.log(100)) < 1e-9);
  });

  it("has the jitter as its mean over many draws, with a tail far beyond it", () => {
    const n = 20_000;
    const samples = Array.from({ length: n }, () => answerDelayMs({ latency: 10, jitter: 50 }));
    const mean = samples.reduce((a, b) => a + b, 0) / n;
    // The standard error of the mean is 50 / sqrt(20000) ≈ 0.35 ms; 3 ms is over 8 of them.
    assert.ok(Math.abs(mean - 60) < 3, `mean ${mean}`);
    assert.ok(Math.min(...samples) >= 10);
    assert.ok(Math.max(...samples) > 10 + 50 * 5, "some draws land beyond 5× the mean");
  });
});

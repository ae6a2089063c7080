import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  backSeconds,
  checkTargets,
  leaveSeconds,
  preferredIn,
  sampleCostUsd,
  secondBins,
  summarize,
  type PolicyResult,
} from "./analysis.js";
import type { Sample } from "./load.js";
import { timeline } from "./scenario.js";

const sample = (t: number, deployment: string | undefined, status = 200, ms = 100): Sample => ({
  t,
  ms,
  status,
  deployment,
  promptTokens: 1000,
  completionTokens: 500,
});

/** `perSecond` requests in each second, served by `who(second, i)`. */
function traffic(
  seconds: number,
  perSecond: number,
  who: (s: number, i: number) => string,
  status = 200,
): Sample[] {
  const out: Sample[] = [];
  for (let s = 0; s < seconds; s++)
    for (let i = 0; i < perSecond; i++)
      out.push(sample(s * 1000 + (i * 1000) / perSecond, who(s, i), status));
  return out;
}

describe("routing simulation: analysis", () => {
  it("prices an answered request at its deployment's prices, and a failed one at nothing", () => {
    // 1000 × 2.5 + 500 × 10 per million tokens.
    assert.ok(Math.abs(sampleCostUsd(sample(0, "premium")) - 0.0075) < 1e-12);
    assert.ok(Math.abs(sampleCostUsd(sample(0, "budget")) - 0.00045) < 1e-12);
    assert.equal(sampleCostUsd(sample(0, "premium", 500)), 0);
    assert.equal(sampleCostUsd(sample(0, undefined)), 0);
  });

  it("takes the preferred deployment from the window's traffic", () => {
    const s = traffic(10, 10, (sec, i) => (sec < 5 ? "premium" : i < 7 ? "budget" : "standard"));
    assert.equal(preferredIn(s, 5, 10), "budget");
    assert.equal(preferredIn(s, 0, 5), "premium");
    assert.equal(preferredIn(s, 20, 30), undefined);
  });

  it("counts leaving from the first second after which the share stays below 10%", () => {
    // budget serves everything until second 14, a blip of 50% at 16, then 5% (1 in 20).
    const s = traffic(30, 20, (sec, i) => {
      if (sec < 14) return "budget";
      if (sec === 16) return i < 10 ? "budget" : "standard";
      return i === 0 ? "budget" : "standard";
    });
    const bins = secondBins(s, 30);
    assert.equal(leaveSeconds(bins, "budget", 10, 25), 7, "from second 17, after the blip");
    assert.equal(leaveSeconds(bins, "budget", 17, 25), 0);
    // Still above 10% in the last second before the end: it never left.
    assert.equal(leaveSeconds(bins, "budget", 10, 14), undefined);
    // Back to at least half of a 100% share.
    assert.equal(backSeconds(bins, "budget", 14, 30, 0.5), 2);
    assert.equal(backSeconds(bins, "budget", 17, 30, 0.5), undefined);
  });

  it("summarizes a run: errors in the window after failure, phase-1 share, recovery", () => {
    const tl = timeline(40); // slow 10, fail 18, recover 28
    const s = traffic(40, 10, (sec, i) => {
      if (sec < 11 || sec >= 31) return i < 8 ? "budget" : "premium";
      return "premium";
    });
    // Three client errors at the failure, two of them from budget (2 of 13 in second 18).
    s.push(sample(18_100, "budget", 500), sample(18_150, "budget", 500), sample(18_200, undefined, 0));
    const r = summarize("cheapest", s, tl, "budget");
    assert.equal(r.requests, 403);
    assert.deepEqual(r.failWindow, { requests: 103, errors: 3 });
    assert.ok(Math.abs(r.phase1Share - 0.8) < 1e-9);
    assert.equal(r.leaveAfterSlowS, 9, "below 10% from second 11, but 15% again in second 18");
    assert.equal(r.leaveAfterFailS, 1);
    assert.equal(r.backAfterRecoveryS, 3);
    assert.ok(Math.abs(r.errorRate - 3 / 403) < 1e-12);
  });

  it("judges the targets on cheapest against pinned", () => {
    const tl = timeline(50);
    const base = summarize(
      "pinned",
      traffic(50, 10, () => "premium"),
      tl,
      "premium",
    );
    const cheap: PolicyResult = {
      ...summarize(
        "cheapest",
        traffic(50, 10, () => "budget"),
        tl,
        "budget",
      ),
      backAfterRecoveryS: 12,
    };
    const checks = checkTargets([base, cheap], tl);
    assert.deepEqual(
      checks.map((c) => c.pass),
      [true, true, true],
    );
    const slow = { ...cheap, p99: base.p99 * 1.2, backAfterRecoveryS: undefined };
    // Not back: a failure when the run watched 30 s after recovery, no verdict when it did not.
    assert.deepEqual(
      checkTargets([base, slow], timeline(100)).map((c) => c.pass),
      [false, true, false],
    );
    assert.equal(checkTargets([base, slow], tl)[2]?.pass, undefined);
    assert.equal(checkTargets([base, { ...cheap, backAfterRecoveryS: 31 }], timeline(100))[2]?.pass, false);
    assert.equal(checkTargets([slow], tl)[0]?.pass, undefined);
  });
});

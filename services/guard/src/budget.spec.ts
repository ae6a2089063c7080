import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startBudget } from "./budget.js";

/** A clock the test moves by hand. */
function fakeClock() {
  const clock = { t: 1000, now: () => clock.t };
  return clock;
}

describe("screening budget", () => {
  it("is spent past its milliseconds, and stays spent", () => {
    const clock = fakeClock();
    const budget = startBudget(50, { now: clock.now });
    clock.t += 50;
    assert.equal(budget.spent(), false);
    clock.t += 1;
    assert.equal(budget.spent(), true);
    clock.t -= 10;
    assert.equal(budget.spent(), true, "spent from then on");
  });

  it("says a pause is due after each slice, counted from the last pause", async () => {
    const clock = fakeClock();
    const budget = startBudget(1000, { sliceMs: 10, now: clock.now });
    clock.t += 10;
    assert.equal(budget.due(), false);
    clock.t += 1;
    assert.equal(budget.due(), true);
    await budget.pause();
    assert.equal(budget.due(), false, "a new slice starts when the screening is back");
    clock.t += 11;
    assert.equal(budget.due(), true);
  });

  it("does not count the time the screening is paused: that time is other work's", async () => {
    const clock = fakeClock();
    const budget = startBudget(100, { sliceMs: 10, now: clock.now });
    clock.t += 60;
    // Other requests run while it is paused: 500 ms of them (queued before the pause's turn).
    setImmediate(() => (clock.t += 500));
    await budget.pause();
    assert.equal(clock.t, 1560, "the other work ran during the pause");
    assert.equal(budget.elapsedMs(), 60);
    assert.equal(budget.spent(), false);
    clock.t += 41;
    assert.equal(budget.elapsedMs(), 101);
    assert.equal(budget.spent(), true, "spent after 101 ms of its own");
  });

  it("never says a pause is due with an infinite slice", () => {
    const clock = fakeClock();
    const budget = startBudget(1e9, { sliceMs: Infinity, now: clock.now });
    clock.t += 1e6;
    assert.equal(budget.due(), false);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { oldestKeptMonth } from "./retention.js";

describe("oldestKeptMonth", () => {
  it("keeps the current month and the months before it, across years", () => {
    const dec = new Date(Date.UTC(2026, 11, 15));
    assert.equal(oldestKeptMonth(dec, 13), 202512);
    assert.equal(oldestKeptMonth(dec, 1), 202612);
    assert.equal(oldestKeptMonth(dec, 12), 202601);
    const jan = new Date(Date.UTC(2027, 0, 1));
    assert.equal(oldestKeptMonth(jan, 2), 202612);
    assert.equal(oldestKeptMonth(jan, 25), 202501);
  });

  it("refuses a window that is not a positive whole number of months", () => {
    assert.throws(() => oldestKeptMonth(new Date(), 0), /retention months must be a positive integer, got 0/);
    assert.throws(() => oldestKeptMonth(new Date(), 1.5), /retention months/);
  });
});

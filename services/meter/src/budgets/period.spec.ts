import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { periodOf } from "./period.js";

const at = (iso: string) => Date.parse(iso);

describe("budget periods", () => {
  it("a calendar month in the budget's zone, not thirty days", () => {
    // 23:30 on 31 January in UTC is already 1 February in Tokyo.
    const utc = periodOf({ period: "month", timezone: "UTC" }, at("2026-01-31T23:30:00Z"));
    assert.deepEqual(utc, {
      id: "m2026-01",
      startsAt: at("2026-01-01T00:00:00Z"),
      endsAt: at("2026-02-01T00:00:00Z"),
    });
    const tokyo = periodOf({ period: "month", timezone: "Asia/Tokyo" }, at("2026-01-31T23:30:00Z"));
    assert.equal(tokyo.id, "m2026-02");
    assert.equal(tokyo.startsAt, at("2026-01-31T15:00:00Z"));
    assert.equal(tokyo.endsAt, at("2026-02-28T15:00:00Z"));
  });

  it("a day across a daylight-saving change is 23 hours long", () => {
    const p = periodOf({ period: "day", timezone: "Europe/Berlin" }, at("2026-03-29T12:00:00Z"));
    assert.equal(p.id, "d2026-03-29");
    assert.equal(p.endsAt - p.startsAt, 23 * 3600_000);
  });

  it("a week starts on Monday", () => {
    // 2 December 2026 is a Wednesday.
    const p = periodOf({ period: "week", timezone: "UTC" }, at("2026-12-02T10:00:00Z"));
    assert.equal(p.id, "w2026-11-30");
    assert.equal(p.endsAt, at("2026-12-07T00:00:00Z"));
  });

  it("total never ends", () => {
    assert.deepEqual(periodOf({ period: "total", timezone: "UTC" }, Date.now()), {
      id: "total",
      startsAt: 0,
      endsAt: 0,
    });
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sqlIdentifier, sqlString, sqlUInt } from "./sql.js";

describe("sql literals", () => {
  it("quotes strings so that quotes and backslashes cannot end the literal", () => {
    assert.equal(sqlString("plain"), "'plain'");
    assert.equal(sqlString("it's"), "'it\\'s'");
    assert.equal(sqlString("a\\'); DROP TABLE x; --"), "'a\\\\\\'); DROP TABLE x; --'");
    assert.equal(sqlString("tab\tnl\ncr\rnul\0"), "'tab\\tnl\\ncr\\rnul\\0'");
    assert.equal(sqlString("ünï 🚀"), "'ünï 🚀'");
  });

  it("accepts only non-negative safe integers as numbers", () => {
    assert.equal(sqlUInt(0, "n"), "0");
    assert.equal(sqlUInt(1764662400, "n"), "1764662400");
    assert.throws(() => sqlUInt(-1, "received_at"), /received_at must be a non-negative integer/);
    assert.throws(() => sqlUInt(1.5, "n"), /n must be/);
    assert.throws(() => sqlUInt(Number.NaN, "n"), /n must be/);
  });

  it("accepts only plain identifiers", () => {
    assert.equal(sqlIdentifier("switchyard_t1", "database"), "switchyard_t1");
    assert.throws(() => sqlIdentifier("a-b", "database"), /database "a-b" must be letters/);
    assert.throws(() => sqlIdentifier("1db", "database"), /database/);
    assert.throws(() => sqlIdentifier("x; DROP", "database"), /database/);
  });
});

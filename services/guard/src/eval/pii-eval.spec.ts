import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { evaluatePii, formatPiiEvaluation, type PiiLine } from "./pii-eval.js";

const lines = readFileSync(new URL("../../eval/pii.jsonl", import.meta.url), "utf8")
  .split("\n")
  .filter((l) => l.trim() !== "")
  .map((l) => JSON.parse(l) as PiiLine);

describe("PII evaluation set", () => {
  it("holds at least 300 lines, 150 of them hard negatives", () => {
    assert.ok(lines.length >= 300, `${lines.length} lines`);
    assert.ok(lines.filter((l) => l.entities.length === 0).length >= 150);
  });

  it("scores F1 ≥ 0.95 on the valid specimens and flags ≤ 2 % of the hard negatives", () => {
    const e = evaluatePii(lines);
    console.log(formatPiiEvaluation(e));
    for (const m of e.misses) console.log(`miss: ${JSON.stringify(m)}`);
    assert.ok(e.overall.f1 >= 0.95, `overall F1 ${e.overall.f1.toFixed(3)}`);
    for (const [kind, s] of Object.entries(e.perKind))
      assert.ok(s.f1 >= 0.9, `${kind} F1 ${s.f1.toFixed(3)}`);
    assert.ok(e.hardNegativeFalsePositiveRate <= 0.02, `${e.hardNegativeFalsePositiveRate}`);
  });

  it("counts a span as found only when it overlaps the label by half and has its kind", () => {
    const line: PiiLine = { text: "x", entities: [{ kind: "email", start: 0, end: 10 }] };
    const at = (kind: string, start: number, end: number) => () => [{ kind, rule: "r", start, end }];
    assert.equal(evaluatePii([line], at("email", 5, 20)).overall.tp, 1);
    assert.equal(evaluatePii([line], at("email", 6, 20)).overall.tp, 0);
    assert.equal(evaluatePii([line], at("phone", 0, 10)).overall.fp, 1);
    const negative: PiiLine = { text: "y", entities: [] };
    assert.equal(evaluatePii([line, negative], at("email", 0, 10)).hardNegativeFalsePositiveRate, 1);
  });
});

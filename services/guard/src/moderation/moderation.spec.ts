import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startBudget } from "../budget.js";
import { scan } from "../scan.js";
import { MODERATION_DETECTOR } from "./moderation.js";

const spans = (text: string) => scan(text, [MODERATION_DETECTOR], startBudget(1e9));

describe("moderation", () => {
  it("finds profanity through dodged spellings, with spans in the original text", () => {
    const text = "You are a fuuuucking b1tch, said the pirate.";
    const found = spans(text).map((s) => text.slice(s.start, s.end));
    assert.equal(found.length, 2, JSON.stringify(found));
    assert.match(found[0]!, /^fu+ck/);
    assert.match(found[1]!, /^b1tch/);
    assert.ok(spans(text).every((s) => s.rule === "moderation.profanity"));
  });

  it("passes ordinary text, including words that contain a lexicon term", () => {
    assert.deepEqual(spans("The class assessment of Scunthorpe's shitake harvest went well."), []);
  });

  it("reports each match once across window edges", () => {
    const text = `${"calm words ".repeat(1600)}shit ${"calm words ".repeat(1600)}`;
    assert.equal(spans(text).length, 1);
  });
});

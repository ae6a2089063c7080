import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chainSchema } from "@switchyard/common";
import { nextStep, resolvePath, type ChainContext } from "./chain-paths.js";
import { TemplateError, renderTemplate } from "./chain-templates.js";

const ctx: ChainContext = {
  inputs: { text: "tides", n: 2 },
  steps: { extract: { output: { topic: "sea", items: ["a", "b"] } }, plain: { output: "words" } },
  item: { name: "x" },
  index: 1,
};

describe("chain paths and templates", () => {
  it("resolves inputs, step outputs, list items and map items", () => {
    assert.equal(resolvePath(ctx, "inputs.text"), "tides");
    assert.equal(resolvePath(ctx, "steps.extract.output.topic"), "sea");
    assert.equal(resolvePath(ctx, "steps.extract.output.items.1"), "b");
    assert.equal(resolvePath(ctx, "item.name"), "x");
    assert.equal(resolvePath(ctx, "index"), 1);
    assert.equal(resolvePath(ctx, "steps.nope.output"), undefined);
  });

  it("renders strings as they are and anything else as JSON, refusing a missing value", () => {
    assert.equal(renderTemplate("About {{ inputs.text }} ({{inputs.n}})", ctx), "About tides (2)");
    assert.equal(renderTemplate("{{steps.extract.output.items}}", ctx), '["a","b"]');
    assert.throws(() => renderTemplate("{{inputs.missing}}", ctx), TemplateError);
  });

  it("chooses the next step by branches, in order, else the next in the list", () => {
    const chain = chainSchema.parse({
      name: "c",
      inputs: ["text"],
      steps: [
        {
          id: "extract",
          model: "m",
          prompt: "p",
          next: [
            { when: "steps.extract.output.topic", equals: "land", goto: "c" },
            { when: "steps.extract.output.items", in: [["a", "b"]], goto: "end" },
          ],
        },
        { id: "b", model: "m", prompt: "p" },
        { id: "c", model: "m", prompt: "p", next: "b" },
      ],
    });
    const [a, b, c] = chain.steps;
    assert.equal(nextStep(a!, chain.steps, ctx), undefined, "the second branch ends the chain");
    assert.equal(nextStep(a!, chain.steps, { ...ctx, steps: {} }), "b", "no branch taken: the next step");
    assert.equal(nextStep(b!, chain.steps, ctx), "c");
    assert.equal(nextStep(c!, chain.steps, ctx), "b");
  });
});

describe("chain config", () => {
  const base = { name: "c", inputs: ["text"], steps: [{ id: "a", model: "m", prompt: "{{inputs.text}}" }] };
  const problems = (chain: unknown): string[] => {
    const r = chainSchema.safeParse(chain);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };

  it("accepts a well-formed chain, with version 1 and two tries by default", () => {
    const c = chainSchema.parse(base);
    assert.equal(c.version, 1);
    assert.equal(c.steps[0]!.max_attempts, 2);
  });

  it("names what is wrong: unknown inputs, steps, targets, map-only references, duplicate ids", () => {
    assert.match(
      problems({ ...base, steps: [{ id: "a", model: "m", prompt: "{{inputs.nope}}" }] }).join(),
      /no input "nope"/,
    );
    assert.match(
      problems({ ...base, steps: [{ id: "a", model: "m", prompt: "{{steps.z.output}}" }] }).join(),
      /no step "z"/,
    );
    assert.match(
      problems({ ...base, steps: [{ id: "a", model: "m", prompt: "{{item}}" }] }).join(),
      /only known in a map step/,
    );
    assert.match(
      problems({ ...base, steps: [{ id: "a", model: "m", prompt: "p", next: "zz" }] }).join(),
      /steps.0.next: no step "zz"/,
    );
    assert.match(
      problems({ ...base, steps: [base.steps[0], base.steps[0]] }).join(),
      /step id "a" is used twice/,
    );
  });
});

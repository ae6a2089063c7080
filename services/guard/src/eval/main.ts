// `npm run guard:eval`: the guard's numbers on its labelled sets — prompt injection (recall,
// false positives, by category; the held-out rows are the honest ones) and PII (precision,
// recall and F1 per entity, false positives on hard negatives).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gatewayConfigSchema } from "@switchyard/common";
import { evaluateInjection, readInjectionSet } from "./injection-eval.js";
import { evaluatePii, formatPiiEvaluation, type PiiLine } from "./pii-eval.js";

const pct = (r: { rate: number }) => `${(100 * r.rate).toFixed(1)} %`;
const policy = gatewayConfigSchema.parse({}).guard;

const injection = evaluateInjection(readInjectionSet(), policy.injection);
console.log(
  `Prompt injection (fast layer; user threshold ${policy.injection.user_threshold}, tool results ${policy.injection.untrusted_threshold})`,
);
console.log(`  recall ${pct(injection.recall)} of ${injection.recall.n} attacks`);
console.log(
  `  false positives ${pct(injection.falsePositiveRate)} of ${injection.falsePositiveRate.n} benign texts`,
);
console.log(
  `  on look-alikes ${pct(injection.hardNegativeFalsePositiveRate)} of ${injection.hardNegativeFalsePositiveRate.n}`,
);
console.log("  by category:");
for (const [category, r] of Object.entries(injection.byCategory))
  console.log(
    `    ${category.padEnd(22)} ${r.label.padEnd(7)} ${String(r.hits).padStart(3)}/${String(r.n).padEnd(3)} ${pct(r)}`,
  );
console.log("  missed:");
for (const r of injection.missed) console.log(`    [${r.category}] ${JSON.stringify(r.text).slice(0, 110)}`);
console.log("  false positives:");
for (const r of injection.falsePositives)
  console.log(`    [${r.category}] ${JSON.stringify(r.text).slice(0, 110)}`);

const piiLines = readFileSync(join(import.meta.dirname, "..", "..", "eval", "pii.jsonl"), "utf8")
  .split("\n")
  .filter((l) => l.trim() !== "")
  .map((l) => JSON.parse(l) as PiiLine);
console.log(`\nPII and secrets (${piiLines.length} labelled texts)`);
console.log(formatPiiEvaluation(evaluatePii(piiLines)));

// The guard micro-benchmark: how long the fast layer (every detector, through the policy, as a
// request is screened) takes per KB of prompt, at p50 and p99, on ordinary prompts of 1, 16 and
// 256 KB built from the evaluation set's texts, and on the adversarial inputs of 1 MB. Run:
// `npm run bench:guard`. Prints numbers; asserts nothing (the specs do).
import { create } from "@bufbuild/protobuf";
import { gatewayConfigSchema } from "@switchyard/common";
import { ChatRequestSchema } from "@switchyard/proto";
import { screenRequest } from "../policy.js";
import { adversarialInputs, repeatTo } from "../testing/adversarial.js";
import { readInjectionSet } from "./injection-eval.js";

const policy = { ...gatewayConfigSchema.parse({}).guard, budget_ms: 1e9 };

function screenMs(text: string): number {
  const req = create(ChatRequestSchema, {
    model: "m",
    messages: [{ role: "user", content: [{ part: { case: "text", value: text } }] }],
  });
  const t0 = performance.now();
  screenRequest(req, policy);
  return performance.now() - t0;
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

// Ordinary text: the evaluation set's benign rows (chat, documents, look-alikes in several
// languages), and all its rows with the attacks (dense with findings: the most work).
const rowsOf = (benignOnly: boolean) =>
  readInjectionSet()
    .filter((r) => !benignOnly || r.label === "benign")
    .map((r) => r.text)
    .join("\n");
const corpora: [string, string][] = [
  ["benign prompts", rowsOf(true)],
  ["prompts and attacks", rowsOf(false)],
];

const rows: string[] = [
  "| input | size | runs | p50 ms | p99 ms | p50 ms/KB | p99 ms/KB |",
  "|---|---|---|---|---|---|---|",
];
function measure(name: string, text: string, runs: number): void {
  for (let i = 0; i < Math.min(20, runs); i++) screenMs(text); // warm up
  const times = Array.from({ length: runs }, () => screenMs(text)).sort((a, b) => a - b);
  const kb = text.length / 1024;
  const [p50, p99] = [quantile(times, 0.5), quantile(times, 0.99)];
  rows.push(
    `| ${name} | ${kb >= 1024 ? `${kb / 1024} MB` : `${kb} KB`} | ${runs} | ${p50.toFixed(3)} | ${p99.toFixed(3)} | ${(p50 / kb).toFixed(4)} | ${(p99 / kb).toFixed(4)} |`,
  );
}

for (const [kb, runs] of [
  [1, 2000],
  [16, 400],
  [256, 40],
] as const) {
  for (const [name, corpus] of corpora) measure(name, repeatTo(corpus, kb * 1024), runs);
}
for (const [name, text] of adversarialInputs(1 << 20)) measure(`adversarial: ${name}`, text, 5);

console.log(rows.join("\n"));

// What the model layer costs with the tiny model: worker start, and milliseconds per call for
// 1 KB texts (alone and in batches) and for a text at the bound (2 × 8 K code points). Prints
// numbers; not a test. From sources: npx tsx --conditions=source services/guard/src/model/model-bench.ts
// From dist/ (after `npx tsc -b services/guard`): node services/guard/dist/model/model-bench.js
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { featurize } from "./features.js";
import { createModelLayer } from "./model-layer.js";
import { buildTinyModel } from "./tiny-model.js";

const CALLS = 500;

function kbText(i: number, chars: number): string {
  const words = [
    "please",
    "summarise",
    "the",
    "report",
    "ignore",
    "previous",
    "data",
    "table",
    "and",
    "answer",
  ];
  let s = `${i} `;
  for (let k = 0; s.length < chars; k++) s += `${words[(i * 7 + k * 3) % words.length]} `;
  return s.slice(0, chars);
}

const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))] ?? NaN;
const fmt = (ms: number) => ms.toFixed(3);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "guard-model-bench-"));
  const path = join(dir, "tiny.onnx");
  writeFileSync(path, buildTinyModel());
  try {
    for (const threads of [1, 2]) {
      const t0 = performance.now();
      const layer = await createModelLayer({ path, threads });
      console.log(
        `start, ${threads} worker(s) (session loaded, warmed up): ${fmt(performance.now() - t0)} ms`,
      );
      await layer.close();
    }
    const layer = await createModelLayer({ path });
    const rows: [string, () => string[]][] = [
      ["1 text of 1 KB", () => [kbText(Math.random() * 1e6, 1024)]],
      ["16 texts of 1 KB", () => Array.from({ length: 16 }, (_, i) => kbText(i + Math.random() * 1e6, 1024))],
      ["1 text of 16 K chars (the bound)", () => [kbText(Math.random() * 1e6, 16384)]],
    ];
    for (const [name, make] of rows) {
      const times: number[] = [];
      for (let i = 0; i < CALLS; i++) {
        const texts = make();
        const t = performance.now();
        const r = await layer.classify(texts, 10_000);
        if (r.status !== "ok") throw new Error(`${name}: ${JSON.stringify(r)}`);
        times.push(performance.now() - t);
      }
      console.log(
        `${name}: p50 ${fmt(quantile(times, 0.5))} ms, p99 ${fmt(quantile(times, 0.99))} ms (${CALLS} calls, dim ${layer.dim})`,
      );
    }
    await layer.close();
    const text = kbText(1, 1024);
    const t = performance.now();
    for (let i = 0; i < CALLS; i++) featurize(text, 4096);
    console.log(`features alone, 1 KB, in process: ${fmt((performance.now() - t) / CALLS)} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

// docs/reliability.md holds the latest results of `npm run chaos` and `npm run fuzz`, each
// between its own markers; the prose around them is kept as written.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "@switchyard/local-stack";

export function writeSection(name: "chaos" | "fuzz", lines: string[]): void {
  const file = join(repoRoot(), "docs", "reliability.md");
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`docs/reliability.md has no ${start} … ${end} section`);
  writeFileSync(file, `${text.slice(0, i + start.length)}\n${lines.join("\n")}\n${text.slice(j)}`);
}

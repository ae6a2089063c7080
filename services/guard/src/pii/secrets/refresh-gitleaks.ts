// Regenerates gitleaks-rules.ts from a gitleaks config/gitleaks.toml:
//
//   npx tsx services/guard/src/pii/secrets/refresh-gitleaks.ts <gitleaks.toml> <tag> <commit>
//   npx prettier --write services/guard/src/pii/secrets/gitleaks-rules.ts
//
// then run services/guard/src/pii/pii.spec.ts, which compiles the rules the guard uses and
// checks each is linear. The file gitleaks generates is regular: tables `[allowlist]`,
// `[[rules]]`, `[[rules.allowlists]]`, and keys whose values are strings ('''…''' or "…"),
// numbers or arrays of strings; this reads that and no more, and fails on anything else.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { GitleaksAllowlist, GitleaksRule } from "./gitleaks-rules.js";

type Value = string | number | string[];
type Table = Record<string, Value>;

/** The string literal at `at` in `src` (TOML literal '''…''', '…' or basic "…"). */
function readString(src: string, at: number): { value: string; end: number } {
  for (const quote of ["'''", "'"]) {
    if (src.startsWith(quote, at)) {
      const end = src.indexOf(quote, at + quote.length);
      return { value: src.slice(at + quote.length, end), end: end + quote.length };
    }
  }
  if (src[at] === '"') {
    let end = at + 1;
    while (src[end] !== '"') end += src[end] === "\\" ? 2 : 1;
    return { value: JSON.parse(src.slice(at, end + 1)) as string, end: end + 1 };
  }
  throw new Error(`expected a string at ${src.slice(at, at + 40)}`);
}

/** The tables of the file in order, each with its header ("rules", "rules.allowlists", …). */
export function parseGitleaksToml(src: string): { header: string; table: Table }[] {
  const tables: { header: string; table: Table }[] = [{ header: "", table: {} }];
  let at = 0;
  const skipBlank = () => {
    for (;;) {
      while (at < src.length && /\s/.test(src[at]!)) at++;
      if (src[at] !== "#") return;
      at = src.indexOf("\n", at);
      if (at < 0) at = src.length;
    }
  };
  for (skipBlank(); at < src.length; skipBlank()) {
    const header = /^\[\[?([\w.]+)\]\]?/.exec(src.slice(at, at + 100));
    if (header) {
      tables.push({ header: header[1]!, table: {} });
      at += header[0].length;
      continue;
    }
    const key = /^(\w+) = /.exec(src.slice(at, at + 100));
    if (!key) throw new Error(`unexpected: ${src.slice(at, at + 40)}`);
    at += key[0].length;
    let value: Value;
    if (src[at] === "[") {
      const items: string[] = [];
      at++;
      for (skipBlank(); src[at] !== "]"; skipBlank()) {
        const item = readString(src, at);
        items.push(item.value);
        at = item.end;
        skipBlank();
        if (src[at] === ",") at++;
      }
      at++;
      value = items;
    } else if (/[\d.]/.test(src[at]!)) {
      const number = /^[\d.]+/.exec(src.slice(at))![0];
      value = Number(number);
      at += number.length;
    } else {
      const item = readString(src, at);
      value = item.value;
      at = item.end;
    }
    tables.at(-1)!.table[key[1]!] = value;
  }
  return tables;
}

const strings = (v: Value | undefined): string[] | undefined => (Array.isArray(v) ? v : undefined);

function allowlist(t: Table): GitleaksAllowlist {
  return {
    ...(t.regexTarget !== undefined && { regexTarget: t.regexTarget as GitleaksAllowlist["regexTarget"] }),
    ...(t.condition !== undefined && { condition: t.condition as GitleaksAllowlist["condition"] }),
    regexes: strings(t.regexes) ?? [],
    stopwords: strings(t.stopwords) ?? [],
    paths: strings(t.paths) ?? [],
  };
}

function main(args: string[]): void {
  const [tomlPath, tag, commit] = args;
  if (!tomlPath || !tag || !commit)
    throw new Error("usage: refresh-gitleaks.ts <gitleaks.toml> <tag> <commit>");
  const rules: GitleaksRule[] = [];
  let global: GitleaksAllowlist = { regexes: [], stopwords: [], paths: [] };
  for (const { header, table } of parseGitleaksToml(readFileSync(tomlPath, "utf8"))) {
    if (header === "allowlist") global = allowlist(table);
    else if (header === "rules.allowlists") rules.at(-1)!.allowlists.push(allowlist(table));
    else if (header === "rules") {
      // Rules without a regex match on file paths only: nothing to find in a prompt.
      if (typeof table.regex !== "string") continue;
      rules.push({
        id: table.id as string,
        description: table.description as string,
        regex: table.regex,
        ...(typeof table.secretGroup === "number" && { secretGroup: table.secretGroup }),
        ...(typeof table.entropy === "number" && { entropy: table.entropy }),
        keywords: strings(table.keywords) ?? [],
        allowlists: [],
      });
    }
  }
  const out = fileURLToPath(new URL("./gitleaks-rules.ts", import.meta.url));
  const header = readFileSync(out, "utf8").split("\n// ---")[0]!;
  const body = [
    `export const GITLEAKS_VERSION = ${JSON.stringify(tag)};`,
    `export const GITLEAKS_COMMIT = ${JSON.stringify(commit)};`,
    `export const GITLEAKS_ALLOWLIST: GitleaksAllowlist = ${JSON.stringify(global, null, 2)};`,
    `export const GITLEAKS_RULES: readonly GitleaksRule[] = ${JSON.stringify(rules, null, 2)};`,
  ].join("\n\n");
  writeFileSync(out, `${header}\n// --- generated below this line ---\n\n${body}\n`);
  console.log(`${rules.length} rules from gitleaks ${tag} written to ${out}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv.slice(2));

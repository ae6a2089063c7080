// Applies deploy/clickhouse/migrations/*.sql in file-name order, each once: the database is
// created when missing, and each applied file is recorded in `<db>.schema_migrations` with a
// checksum of its statements. Statements are split on semicolons outside comments, strings and
// quoted identifiers (the HTTP interface takes one statement per request). Every statement is
// idempotent (IF NOT EXISTS), so replicas starting together may both apply a file harmlessly.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { ClickHouseClient } from "@clickhouse/client";
import { sqlIdentifier, sqlString } from "./sql.js";

/** Where the repository keeps the migrations (from src/ or dist/ alike). */
export const DEFAULT_MIGRATIONS_DIR = join(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "deploy",
  "clickhouse",
  "migrations",
);

export interface Migration {
  /** The file name, e.g. "0001_requests.sql". */
  name: string;
  /** The number the name starts with. */
  version: number;
  /** Statements with `{db}` still in them. */
  statements: string[];
  /** SHA-256 of the statements (comments and spacing do not count). */
  checksum: string;
}

export class MigrationError extends Error {
  override readonly name = "MigrationError";
}

/**
 * Splits SQL text into statements on `;` outside `--` line comments, block comments,
 * '…' strings and "…"/`…` identifiers (with backslash escapes and doubled quotes). Comments
 * are dropped; statements that are empty once they are gone are left out.
 */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let current = "";
  let i = 0;
  const n = sql.length;
  const push = (): void => {
    const s = current.trim();
    if (s !== "") out.push(s);
    current = "";
  };
  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === "-" && next === "-") {
      const end = sql.indexOf("\n", i);
      i = end === -1 ? n : end;
      current += " ";
    } else if (c === "/" && next === "*") {
      const end = sql.indexOf("*/", i + 2);
      if (end === -1) throw new MigrationError("unterminated /* comment");
      i = end + 2;
      current += " ";
    } else if (c === "'" || c === '"' || c === "`") {
      let j = i + 1;
      for (;;) {
        if (j >= n) throw new MigrationError(`unterminated ${c}…${c} starting at offset ${i}`);
        const d = sql[j]!;
        if (d === "\\") j += 2;
        else if (d === c && sql[j + 1] === c) j += 2;
        else if (d === c) break;
        else j++;
      }
      current += sql.slice(i, j + 1);
      i = j + 1;
    } else if (c === ";") {
      push();
      i++;
    } else {
      current += c;
      i++;
    }
  }
  push();
  return out;
}

export function readMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort();
  const seen = new Map<number, string>();
  return files.map((name) => {
    const m = /^(\d+)_/.exec(name);
    if (m === null)
      throw new MigrationError(`migration file ${name} must start with its version number and "_"`);
    const version = Number(m[1]);
    const other = seen.get(version);
    if (other !== undefined)
      throw new MigrationError(`migrations ${other} and ${name} share version ${version}`);
    seen.set(version, name);
    let statements: string[];
    try {
      statements = splitStatements(readFileSync(join(dir, name), "utf8"));
    } catch (err) {
      throw new MigrationError(`${name}: ${(err as Error).message}`);
    }
    if (statements.length === 0) throw new MigrationError(`migration ${name} holds no statement`);
    const normalised = statements.map((s) => s.replace(/\s+/g, " ")).join(";\n");
    const checksum = createHash("sha256").update(normalised).digest("hex");
    return { name, version, statements, checksum };
  });
}

export interface MigrationResult {
  /** Files applied by this call. */
  applied: string[];
  /** Files found already applied. */
  skipped: string[];
}

/**
 * Brings `database` up to date with the migrations in `dir` (default: the repository's). Safe to
 * call on every start and from several processes at once. Throws when an applied file has
 * changed since (a migration is never edited once applied: add a new one).
 */
export async function applyMigrations(
  client: ClickHouseClient,
  database: string,
  opts: { dir?: string } = {},
): Promise<MigrationResult> {
  const db = sqlIdentifier(database, "database");
  const migrations = readMigrations(opts.dir);
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations
      (version UInt32, name String, checksum String, applied_at DateTime)
      ENGINE = ReplacingMergeTree(applied_at) ORDER BY version`,
  });
  const rows = await (
    await client.query({
      query: `SELECT version, any(name) AS name, any(checksum) AS checksum FROM ${db}.schema_migrations GROUP BY version`,
      format: "JSONEachRow",
    })
  ).json<{ version: number; name: string; checksum: string }>();
  const done = new Map(rows.map((r) => [Number(r.version), r]));
  const result: MigrationResult = { applied: [], skipped: [] };
  for (const m of migrations) {
    const prior = done.get(m.version);
    if (prior !== undefined) {
      if (prior.checksum !== m.checksum)
        throw new MigrationError(
          `migration ${m.name} was changed after it was applied to ${db} (as ${prior.name}): add a new migration instead`,
        );
      result.skipped.push(m.name);
      continue;
    }
    for (const [i, statement] of m.statements.entries()) {
      try {
        await client.command({ query: statement.replaceAll("{db}", db) });
      } catch (err) {
        throw new MigrationError(`${m.name}, statement ${i + 1}: ${(err as Error).message}`, { cause: err });
      }
    }
    await client.command({
      query: `INSERT INTO ${db}.schema_migrations (version, name, checksum, applied_at) VALUES (${m.version}, ${sqlString(m.name)}, ${sqlString(m.checksum)}, now())`,
    });
    result.applied.push(m.name);
  }
  return result;
}

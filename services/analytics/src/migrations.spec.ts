import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readMigrations, splitStatements } from "./migrations.js";

describe("splitStatements", () => {
  it("splits on semicolons and drops comments", () => {
    const sql = `-- a comment; with a semicolon
CREATE TABLE a (x UInt8) ENGINE = Memory; /* block; comment */
CREATE VIEW b AS SELECT 1 -- trailing;
;
`;
    assert.deepEqual(splitStatements(sql), [
      "CREATE TABLE a (x UInt8) ENGINE = Memory",
      "CREATE VIEW b AS SELECT 1",
    ]);
  });

  it("keeps semicolons and comment markers inside strings and quoted identifiers", () => {
    const sql = `SELECT 'a;b', 'it\\'s; -- not a comment', 'x''y;', "c;d", \`e;f\` FROM t; SELECT '/* no */'`;
    assert.deepEqual(splitStatements(sql), [
      `SELECT 'a;b', 'it\\'s; -- not a comment', 'x''y;', "c;d", \`e;f\` FROM t`,
      `SELECT '/* no */'`,
    ]);
  });

  it("leaves out statements that are only comments or space", () => {
    assert.deepEqual(splitStatements("-- nothing\n;  ;\n/* x */"), []);
  });

  it("names what is unterminated", () => {
    assert.throws(() => splitStatements("SELECT 'abc"), /unterminated '…' starting at offset 7/);
    assert.throws(() => splitStatements("SELECT 1 /* x"), /unterminated \/\* comment/);
  });
});

describe("readMigrations", () => {
  it("reads the repository's migrations in order, each with its statements", () => {
    const ms = readMigrations();
    assert.deepEqual(
      ms.map((m) => [m.name, m.version, m.statements.length]),
      [
        ["0001_requests.sql", 1, 1],
        ["0002_guard_verdicts.sql", 2, 1],
        ["0003_rollups.sql", 3, 2],
      ],
    );
    for (const m of ms) for (const s of m.statements) assert.match(s, /^CREATE /);
  });

  it("checksums statements, not comments or spacing", () => {
    const dir = mkdtempSync(join(tmpdir(), "sy-migrations-"));
    writeFileSync(join(dir, "0001_a.sql"), "-- one\nCREATE TABLE {db}.a (x UInt8) ENGINE = Memory;\n");
    const first = readMigrations(dir)[0]!.checksum;
    writeFileSync(join(dir, "0001_a.sql"), "-- two\nCREATE TABLE {db}.a\n  (x UInt8)\nENGINE = Memory");
    assert.equal(readMigrations(dir)[0]!.checksum, first);
    writeFileSync(join(dir, "0001_a.sql"), "CREATE TABLE {db}.a (x UInt16) ENGINE = Memory");
    assert.notEqual(readMigrations(dir)[0]!.checksum, first);
  });

  it("refuses files without a version and versions used twice", () => {
    const dir = mkdtempSync(join(tmpdir(), "sy-migrations-"));
    writeFileSync(join(dir, "a.sql"), "SELECT 1");
    assert.throws(() => readMigrations(dir), /a\.sql must start with its version number/);
    const dup = mkdtempSync(join(tmpdir(), "sy-migrations-"));
    writeFileSync(join(dup, "0001_a.sql"), "SELECT 1");
    writeFileSync(join(dup, "01_b.sql"), "SELECT 2");
    assert.throws(() => readMigrations(dup), /0001_a\.sql and 01_b\.sql share version 1/);
  });
});

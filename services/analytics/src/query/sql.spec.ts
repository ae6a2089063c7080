import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { and, column, dateTime, eq, q, str, table, uint } from "./sql.js";

/** Strings that would end a naively quoted literal, or hide the rest of a query. */
export const HOSTILE = [
  "'); DROP TABLE requests; --",
  "x' OR '1'='1",
  "\\'",
  "\\",
  "a\\",
  "\\\\'; SELECT 1 --",
  "''",
  "nul\0byte",
  "new\nline\r\ttab",
  "/* comment */",
  "-- comment",
  "# hash comment",
  "ünïcødé 🚀 \u2028\u2029 \u202e",
  '`backtick` "double"',
  "\\x27",
  "\\N",
] as const;

/**
 * Reads a ClickHouse string literal from the start of `sql` by the server's lexer rules: a
 * backslash takes the next character, '' is a quote, ' ends it. Returns the value and the rest.
 */
function readLiteral(sql: string): { value: string; rest: string } {
  assert.equal(sql[0], "'");
  const map: Record<string, string> = { n: "\n", r: "\r", t: "\t", "0": "\0", "\\": "\\", "'": "'" };
  let value = "";
  for (let i = 1; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "\\") {
      const n = sql[++i]!;
      value += map[n] ?? n;
    } else if (c === "'") {
      if (sql[i + 1] === "'") {
        value += "'";
        i++;
      } else return { value, rest: sql.slice(i + 1) };
    } else value += c;
  }
  throw new Error("unterminated literal");
}

describe("query SQL values", () => {
  it("keeps every hostile string inside one literal, byte for byte", () => {
    for (const s of HOSTILE) {
      const lit = str(s);
      const { value, rest } = readLiteral(lit);
      assert.equal(value, s, JSON.stringify(s));
      assert.equal(rest, "", `nothing after the literal of ${JSON.stringify(s)}`);
      assert.doesNotMatch(lit, /[\n\r\0]/, "control characters are written as escapes");
    }
  });

  it("writes equality conditions whose only literal is the value", () => {
    const cond = eq(column({ model: "model" }, "model", "model"), "'); DROP TABLE requests; --");
    assert.ok(cond.startsWith("model = '"));
    assert.equal(readLiteral(cond.slice("model = ".length)).value, "'); DROP TABLE requests; --");
  });

  it("takes column names only from the allowlist, naming the field", () => {
    const allowed = { team: "team_id", model: "model" } as const;
    assert.equal(column(allowed, "team", "group_by"), "team_id");
    assert.throws(() => column(allowed, "team_id", "group_by"), /group_by must be one of team, model/);
    assert.throws(() => column(allowed, "model; DROP TABLE x", "group_by"), /group_by/);
    assert.throws(
      () => column(allowed, "toString", "group_by"),
      /group_by/,
      "inherited names are not allowed",
    );
    assert.throws(() => column(allowed, "constructor", "group_by"), /group_by/);
  });

  it("writes times and integers only from checked numbers", () => {
    assert.equal(dateTime(1735689600, "from"), "toDateTime(1735689600)");
    assert.throws(() => dateTime(-1, "from"), /from must be whole seconds/);
    assert.throws(() => dateTime(1.5, "to"), /to must be whole seconds/);
    assert.throws(() => dateTime(Number.NaN, "to"), /to/);
    assert.throws(() => dateTime(2 ** 32, "to"), /to/);
    assert.equal(uint(3600, "granularity"), "3600");
    assert.throws(() => uint(Number("1; DROP"), "limit"), /limit must be a non-negative integer/);
  });

  it("takes the database only as a plain identifier", () => {
    assert.equal(table("switchyard_t1", "requests"), "switchyard_t1.requests");
    assert.throws(() => table("db; DROP TABLE x", "requests"), /database/);
    assert.throws(() => table("db.other", "requests"), /database/);
  });

  it("joins only fragments built here", () => {
    const where = and([
      eq(column({ tenant: "tenant_id" }, "tenant", "tenant"), "a'b"),
      q`minute >= ${dateTime(60, "from")}`,
    ]);
    assert.equal(where, "tenant_id = 'a\\'b' AND minute >= toDateTime(60)");
  });
});

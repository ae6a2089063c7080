// How values enter the query API's SQL. ClickHouse 18.16 has no server-side query parameters, so
// every value is written into the text, and only through this file: string literals by the
// service's one escaper (../sql.ts: every quote and backslash escaped, control characters as
// escapes, per ClickHouse's string-literal rules, the same on 18.16 and current servers);
// integers and DateTimes only from numbers checked here; column names only from allowlists.
// Query builders never interpolate anything else.
import { sqlIdentifier, sqlString, sqlUInt } from "../sql.js";

export { sqlIdentifier, sqlString, sqlUInt };

/** Brands SQL text that came out of this file, so builders cannot take a raw string by mistake. */
export type Sql = string & { readonly __sql: unique symbol };

const sql = (text: string): Sql => text as Sql;

/** A string literal holding exactly `value`. */
export const str = (value: string): Sql => sql(sqlString(value));

/** A non-negative integer literal. */
export const uint = (value: number, field: string): Sql => sql(sqlUInt(value, field));

/** A DateTime (UTC seconds since the epoch, within DateTime's range) as `toDateTime(n)`. */
export function dateTime(epochSeconds: number, field: string): Sql {
  if (!Number.isSafeInteger(epochSeconds) || epochSeconds < 0 || epochSeconds > 0xffff_ffff)
    throw new Error(`${field} must be whole seconds between 1970 and 2106, got ${String(epochSeconds)}`);
  return sql(`toDateTime(${epochSeconds})`);
}

/** `db.table`, the database checked as an identifier and the table from the schema's own names. */
export function table(database: string, name: "requests" | "guard_verdicts" | "requests_by_minute"): Sql {
  return sql(`${sqlIdentifier(database, "database")}.${name}`);
}

/**
 * The column an API name stands for, from `allowed` only (name → column). Anything else throws,
 * naming `field`: a column name is never taken from a request.
 */
export function column<K extends string>(
  allowed: Readonly<Record<K, string>>,
  name: string,
  field: string,
): Sql {
  if (!Object.hasOwn(allowed, name))
    throw new Error(
      `${field} must be one of ${Object.keys(allowed).join(", ")}, got ${JSON.stringify(name)}`,
    );
  const col = allowed[name as K];
  return sql(sqlIdentifier(col, field));
}

/** A column checked here with a fixed prefix in front (`d_` + `model`): still an identifier. */
export const prefixed = (prefix: "d_", col: Sql): Sql => sql(sqlIdentifier(prefix + col, "column"));

/** `a AND b AND …` of conditions built here. */
export const and = (conditions: readonly Sql[]): Sql => sql(conditions.join(" AND "));

/** `col = 'value'`. */
export const eq = (col: Sql, value: string): Sql => sql(`${col} = ${str(value)}`);

/** Joins SQL fragments built here with `sep` (", " by default). */
export const list = (parts: readonly Sql[], sep = ", "): Sql => sql(parts.join(sep));

/**
 * Fixed SQL text written in this service's source, as a template literal whose holes are
 * fragments built here: `q\`SELECT … FROM ${table(db, "requests")} WHERE ${and(conds)}\``.
 */
export function q(strings: TemplateStringsArray, ...holes: Sql[]): Sql {
  let out = strings[0] ?? "";
  holes.forEach((h, i) => (out += h + (strings[i + 1] ?? "")));
  return sql(out);
}

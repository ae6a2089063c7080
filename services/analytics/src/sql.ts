// The one way values enter SQL text. ClickHouse 18.16 has no server-side query parameters, so
// literals are written into the query: strings quoted with every backslash and quote escaped
// (ClickHouse's string-literal syntax, the same on 18.16 and current servers), identifiers
// checked against a strict pattern instead of quoted.

/** A ClickHouse string literal holding exactly `value`. */
export function sqlString(value: string): string {
  let out = "'";
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === "\\" || c === "'") out += "\\" + c;
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else if (c === "\t") out += "\\t";
    else if (c === "\0") out += "\\0";
    else out += c;
  }
  return out + "'";
}

/** A non-negative integer literal; throws on anything else (NaN, fractions, negatives). */
export function sqlUInt(value: number, field: string): string {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new Error(`${field} must be a non-negative integer, got ${String(value)}`);
  return String(value);
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A database or table name, unquoted: letters, digits and underscores, not starting with a digit. */
export function sqlIdentifier(name: string, field: string): string {
  if (!IDENTIFIER.test(name))
    throw new Error(`${field} "${name}" must be letters, digits and underscores, not starting with a digit`);
  return name;
}

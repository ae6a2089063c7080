// Rewrites the spans of a text by their actions: mask keeps the last four characters, redact
// puts the kind in brackets, tokenize puts a numbered placeholder ("[EMAIL_1]") and remembers
// the value, so the answer can have it back. The same value gets the same placeholder across
// the request, so the model can tell two values apart and refer to each.
import { create } from "@bufbuild/protobuf";
import type { GuardActionName } from "@switchyard/common";
import { PlaceholderSchema, type Placeholder } from "@switchyard/proto";
import type { Span } from "./scan.js";

/** Characters mask keeps at the end of a value. */
const MASK_KEEP = 4;
/** Separators mask keeps, so the value's shape stays readable ("**** **** **** 1111"). */
const MASK_SEPARATORS = /[\s\-.@_/:]/;

export function mask(value: string): string {
  const keepFrom = value.length - MASK_KEEP;
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    out += i >= keepFrom || MASK_SEPARATORS.test(c) ? c : "*";
  }
  return out;
}

/** The placeholder for a value, numbered per kind in the order values are first seen. */
function tokenFor(kind: string, value: string, tokens: Map<string, Placeholder>): string {
  const key = `${kind}\u0000${value}`;
  let p = tokens.get(key);
  if (p === undefined) {
    const prefix = `[${kind.toUpperCase()}_`;
    let n = 1;
    for (const t of tokens.values()) if (t.token.startsWith(prefix)) n++;
    p = create(PlaceholderSchema, { token: `${prefix}${n}]`, value });
    tokens.set(key, p);
  }
  return p.token;
}

const REWRITES: ReadonlySet<GuardActionName> = new Set(["mask", "redact", "tokenize"]);

/**
 * `text` with its spans rewritten by their actions (`actions[i]` is `spans[i]`'s), left to
 * right in one pass; a span that overlaps one already rewritten is left as it is.
 */
export function rewrite(
  text: string,
  spans: readonly Span[],
  actions: readonly GuardActionName[],
  tokens: Map<string, Placeholder>,
): string {
  const todo = spans
    .map((span, i) => ({ span, action: actions[i]! }))
    .filter((t) => REWRITES.has(t.action))
    .sort((a, b) => a.span.start - b.span.start || b.span.end - a.span.end);
  if (todo.length === 0) return text;
  const pieces: string[] = [];
  let at = 0;
  for (const { span, action } of todo) {
    if (span.start < at) continue;
    const value = text.slice(span.start, span.end);
    pieces.push(text.slice(at, span.start));
    if (action === "mask") pieces.push(mask(value));
    else if (action === "redact") pieces.push(`[${span.kind.toUpperCase()}]`);
    else pieces.push(tokenFor(span.kind, value, tokens));
    at = span.end;
  }
  pieces.push(text.slice(at));
  return pieces.join("");
}

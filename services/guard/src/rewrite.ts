// Rewrites the spans of a text by their actions: mask keeps the last four characters, redact
// puts the kind in brackets, tokenize puts a numbered placeholder ("[EMAIL_1]") and remembers
// the value, so the answer can have it back. The same value gets the same placeholder across
// the request, so the model can tell two values apart and refer to each. Linear in the spans.
import { create } from "@bufbuild/protobuf";
import type { GuardActionName } from "@switchyard/common";
import { PlaceholderSchema, type Placeholder } from "@switchyard/proto";
import { CHECK_EVERY } from "./budget.js";
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

/**
 * The placeholders tokenize puts in one text (a request's, an answer's), with the values they
 * stand for: the same value gets the same placeholder, and each new value the next number of
 * its kind, kept per kind (counting a kind's placeholders anew for each value was quadratic:
 * 40,000 distinct emails took 78 s).
 */
export class Placeholders {
  private readonly byValue = new Map<string, Placeholder>();
  private readonly perKind = new Map<string, number>();

  tokenFor(kind: string, value: string): string {
    const key = `${kind}\u0000${value}`;
    let p = this.byValue.get(key);
    if (p === undefined) {
      const n = (this.perKind.get(kind) ?? 0) + 1;
      this.perKind.set(kind, n);
      p = create(PlaceholderSchema, { token: `[${kind.toUpperCase()}_${n}]`, value });
      this.byValue.set(key, p);
    }
    return p.token;
  }

  list(): Placeholder[] {
    return [...this.byValue.values()];
  }
}

const REWRITES: ReadonlySet<GuardActionName> = new Set(["mask", "redact", "tokenize"]);

/**
 * `text` with its spans rewritten by their actions (`actions[i]` is `spans[i]`'s), left to
 * right in one pass; a span that overlaps one already rewritten is left as it is. As steps: it
 * yields every CHECK_EVERY spans, where a caller may pause (policy.ts), and returns the text.
 */
export function* rewriting(
  text: string,
  spans: readonly Span[],
  actions: readonly GuardActionName[],
  tokens: Placeholders,
): Generator<void, string, void> {
  const todo: { span: Span; action: GuardActionName }[] = [];
  for (let i = 0; i < spans.length; i++) {
    if (i % CHECK_EVERY === CHECK_EVERY - 1) yield;
    const action = actions[i]!;
    if (REWRITES.has(action)) todo.push({ span: spans[i]!, action });
  }
  if (todo.length === 0) return text;
  todo.sort((a, b) => a.span.start - b.span.start || b.span.end - a.span.end);
  const pieces: string[] = [];
  let at = 0;
  for (let i = 0; i < todo.length; i++) {
    if (i % CHECK_EVERY === CHECK_EVERY - 1) yield;
    const { span, action } = todo[i]!;
    if (span.start < at) continue;
    const value = text.slice(span.start, span.end);
    pieces.push(text.slice(at, span.start));
    if (action === "mask") pieces.push(mask(value));
    else if (action === "redact") pieces.push(`[${span.kind.toUpperCase()}]`);
    else pieces.push(tokens.tokenFor(span.kind, value));
    at = span.end;
  }
  pieces.push(text.slice(at));
  return pieces.join("");
}

/** rewriting() in one go. */
export function rewrite(
  text: string,
  spans: readonly Span[],
  actions: readonly GuardActionName[],
  tokens: Placeholders,
): string {
  const steps = rewriting(text, spans, actions, tokens);
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

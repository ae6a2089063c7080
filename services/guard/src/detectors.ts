// Input screening detectors. Each finds its spans so the policy can flag, redact or block.
//
// Every pattern runs in time linear in its input: every repetition has an upper bound (the
// longest value the detector accepts), so a start position costs a bounded number of steps,
// and a look-behind lets a pattern start only where a run of its characters begins, so a long
// run that fails is not rescanned from each of its positions. detectors.spec.ts checks both
// rules on the sources and times adversarial inputs of a megabyte.
import { regexSpans, scan, type Detector, type Span } from "./scan.js";
import type { ScreeningBudget } from "./budget.js";

export type FindingKind = "email" | "card_number" | "prompt_injection";

export type { Span } from "./scan.js";

// Local part ≤ 64, up to 8 labels of ≤ 63, a TLD of letters (RFC 5321 limits).
export const EMAIL =
  /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}(?![A-Za-z0-9-])/g;
// 13–19 digits, optionally grouped by single spaces or dashes, as card numbers are printed:
// the first group is always four digits (4-4-4-4, Amex 4-6-5, 4-4-4-4-3), which also keeps a
// run of single spaced digits from starting a candidate at every digit.
export const CARD_CANDIDATE = /(?<![\d-])\d{4}(?:[ -]?\d){9,15}(?!\d)/g;
// The "ignore previous instructions" family: a verb of dismissal, a few optional fillers,
// a word for "earlier", and a word for the rules.
export const INJECTION = new RegExp(
  String.raw`\b(?:ignore|disregard|forget|override|bypass)\s{1,8}(?:(?:all|any|the|your|of)\s{1,8}){0,4}` +
    String.raw`(?:previous|prior|above|earlier|preceding|system|original)\s{1,8}` +
    String.raw`(?:instructions?|prompts?|rules|directions|guidelines|context)\b`,
  "gi",
);

/** Luhn checksum over the digits of `text` (spaces and dashes ignored), 13–19 digits. */
export function luhnValid(text: string): boolean {
  let sum = 0;
  let n = 0;
  for (let i = text.length - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 45) continue;
    let d = c - 48;
    if (d < 0 || d > 9) return false;
    if (n % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    n++;
  }
  return n >= 13 && n <= 19 && sum % 10 === 0;
}

export const DETECTORS: readonly Detector[] = [
  {
    kind: "email",
    maxSpan: 64 + 1 + 8 * 64 + 24,
    // Most text has no "@" at all: one indexOf instead of a pattern scan.
    find: (text, from, until) =>
      text.includes("@", from)
        ? regexSpans(EMAIL, text, from, "email", "email.regex", undefined, until)
        : { spans: [], next: from },
  },
  {
    kind: "card_number",
    maxSpan: 19 * 2,
    find: (text, from, until) =>
      regexSpans(CARD_CANDIDATE, text, from, "card_number", "card.luhn", luhnValid, until),
  },
  {
    kind: "prompt_injection",
    maxSpan: 10 + 4 * 13 + 8 * 3 + 12 + 12,
    find: (text, from, until) =>
      regexSpans(INJECTION, text, from, "prompt_injection", "injection.ignore-previous", undefined, until),
  },
];

/** Every span of every detector in `text`, or those found before the budget ran out. */
export function detect(text: string, budget: ScreeningBudget): Span[] {
  return scan(text, DETECTORS, budget);
}

// Input screening detectors. Pure functions over text: each finds its spans so the policy can
// flag, redact or block. Depth (more PII kinds, secrets, ML classifiers) comes later.

export type FindingKind = "email" | "card_number" | "prompt_injection";

export interface Span {
  kind: FindingKind;
  rule: string;
  start: number;
  end: number;
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
// 13–19 digits, optionally grouped by single spaces or dashes (as people type card numbers).
const CARD_CANDIDATE = /\b\d(?:[ -]?\d){12,18}\b/g;
// The "ignore previous instructions" family: a verb of dismissal, an optional quantifier,
// a word for "earlier", and a word for the rules.
const INJECTION = new RegExp(
  String.raw`\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+|the\s+|your\s+|of\s+)*` +
    String.raw`(?:previous|prior|above|earlier|preceding|system|original)\s+` +
    String.raw`(?:instructions?|prompts?|rules|directions|guidelines|context)\b`,
  "gi",
);

/** Luhn checksum over the digits of `text` (separators ignored). */
export function luhnValid(text: string): boolean {
  const digits = text.replace(/[ -]/g, "");
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length >= 13 && sum % 10 === 0;
}

function matches(
  text: string,
  re: RegExp,
  kind: FindingKind,
  rule: string,
  keep: (m: string) => boolean = () => true,
): Span[] {
  const out: Span[] = [];
  for (const m of text.matchAll(re)) {
    if (keep(m[0])) out.push({ kind, rule, start: m.index, end: m.index + m[0].length });
  }
  return out;
}

export function detect(text: string): Span[] {
  return [
    ...matches(text, EMAIL, "email", "email.regex"),
    ...matches(text, CARD_CANDIDATE, "card_number", "card.luhn", luhnValid),
    ...matches(text, INJECTION, "prompt_injection", "injection.ignore-previous"),
  ];
}

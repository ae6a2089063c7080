// Payment card numbers: a printed candidate, the Luhn checksum, and an issuer range whose
// lengths fit. Luhn alone passes one random digit run in ten; with an issuer range and length,
// and no order, invoice or tracking word just before, far fewer.
import type { Detector } from "../scan.js";
import { contextBefore, scored } from "./context.js";
import { hasDigit } from "./digits.js";
import { leftmost } from "./leftmost.js";
import { remembered } from "./remembered.js";
import { report, type PiiSpan } from "./span.js";

// 13–19 digits, optionally grouped by single spaces or dashes, as card numbers are printed:
// the first group is always four digits (4-4-4-4, Amex 4-6-5, 4-4-4-4-3), which also keeps a
// run of single spaced digits from starting a candidate at every digit. It starts only where a
// run of digit groups starts, and does not end inside one (a 22-digit tracking number printed
// in groups is not cut into a card).
export const CARD_CANDIDATE = /(?<![\d-]|\d[ -])\d{4}(?:[ -]?\d){9,15}(?![ -]?\d)/g;

/** Issuer ranges (IIN prefixes, inclusive, compared on their own length) and card lengths. */
const ISSUERS: readonly {
  issuer: string;
  ranges: readonly (readonly [string, string])[];
  lengths: readonly number[];
}[] = [
  { issuer: "visa", ranges: [["4", "4"]], lengths: [13, 16, 19] },
  {
    issuer: "mastercard",
    ranges: [
      ["51", "55"],
      ["2221", "2720"],
    ],
    lengths: [16],
  },
  {
    issuer: "amex",
    ranges: [
      ["34", "34"],
      ["37", "37"],
    ],
    lengths: [15],
  },
  {
    issuer: "discover",
    ranges: [
      ["6011", "6011"],
      ["644", "649"],
      ["65", "65"],
    ],
    lengths: [16, 17, 18, 19],
  },
  { issuer: "jcb", ranges: [["3528", "3589"]], lengths: [16, 17, 18, 19] },
  {
    issuer: "diners",
    ranges: [
      ["300", "305"],
      ["36", "36"],
      ["38", "39"],
    ],
    lengths: [14, 15, 16, 17, 18, 19],
  },
  { issuer: "unionpay", ranges: [["62", "62"]], lengths: [16, 17, 18, 19] },
  {
    issuer: "maestro",
    ranges: [
      ["5018", "5018"],
      ["5020", "5020"],
      ["5038", "5038"],
      ["5893", "5893"],
      ["6304", "6304"],
      ["6759", "6759"],
      ["6761", "6763"],
    ],
    lengths: [13, 14, 15, 16, 17, 18, 19],
  },
  { issuer: "mir", ranges: [["2200", "2204"]], lengths: [16] },
];

/** The issuer whose range holds the number's prefix and whose lengths fit it, if any. */
export function cardIssuer(digits: string): string | undefined {
  for (const { issuer, ranges, lengths } of ISSUERS) {
    if (!lengths.includes(digits.length)) continue;
    for (const [lo, hi] of ranges) {
      const prefix = digits.slice(0, lo.length);
      if (prefix >= lo && prefix <= hi) return issuer;
    }
  }
  return undefined;
}

/** Luhn checksum of a string of digits. */
export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = digits.length - 1, double = false; i >= 0; i--, double = !double) {
    let d = digits.charCodeAt(i) - 48;
    if (double) d = d > 4 ? 2 * d - 9 : 2 * d;
    sum += d;
  }
  return sum % 10 === 0;
}

/** Group lengths cards are printed in: fours with a shorter last group, or Amex/Diners 4-6-x. */
function printedLikeACard(groups: readonly string[]): boolean {
  if (groups.length === 1) return true;
  const [first, second] = groups;
  if (groups.length === 3 && first!.length === 4 && second!.length === 6) return true;
  return groups.every((g, i) => (i < groups.length - 1 ? g.length === 4 : g.length >= 1 && g.length <= 4));
}

/** Whether the printed candidate is a card: grouping, issuer range and length, Luhn. */
function isCard(groups: readonly string[]): boolean {
  const digits = groups.join("");
  return printedLikeACard(groups) && cardIssuer(digits) !== undefined && luhn(digits);
}

/**
 * The length of the card the candidate starts with, or -1. A card followed by a short group (an
 * expiry "12/25", a CVC) is a longer candidate: it is tried without its last group too.
 */
function cardLength(candidate: string): number {
  const groups = candidate.split(/[ -]/);
  if (isCard(groups)) return candidate.length;
  const last = groups.pop()!;
  if (groups.length === 0 || groups.join("").length < 13 || !isCard(groups)) return -1;
  return candidate.length - last.length - 1;
}

export const CARD_DETECTOR: Detector = {
  kind: "card_number",
  maxSpan: 19 * 2,
  find(text, from, until = text.length) {
    const spans: PiiSpan[] = [];
    if (!hasDigit(text, from)) return { spans, next: from };
    const lengths = new Map<string, number>();
    const next = leftmost([CARD_CANDIDATE], text, from, until, (_, m) => {
      const length = remembered(lengths, m[0], () => cardLength(m[0]));
      if (length < 0) return;
      const context = contextBefore(text, m.index, "card_number");
      report(spans, "card_number", "card.luhn_iin", m.index, m.index + length, scored(context, 0.8, true));
    });
    return { spans, next };
  },
};

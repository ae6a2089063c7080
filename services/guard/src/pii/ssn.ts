// US Social Security numbers: AAA-GG-SSSS with dashes or spaces, or nine bare digits only after
// an SSN context word, checked against the issuance rules: no area 000, 666 or 900–999, no
// group 00, no serial 0000, and not one of the numbers published as examples.
import type { Detector } from "../scan.js";
import { contextBefore, scored } from "./context.js";
import { hasDigit } from "./digits.js";
import { leftmost } from "./leftmost.js";
import { remembered } from "./remembered.js";
import { report, type PiiSpan } from "./span.js";

// Starts only where a run of digits and separators starts; never ends inside one.
export const SSN_CANDIDATE = /(?<![\d-]|\d[ -])(?:\d{3}-\d{2}-\d{4}|\d{3} \d{2} \d{4}|\d{9})(?![ -]?\d)/g;

/** Characters before bare digits searched for an SSN context word. */
const BARE_CONTEXT_CHARS = 40;

/**
 * Numbers never issued to a person: Woolworth's wallet-card number (078-05-1120), the SSA's
 * advertising number (219-09-9999), the textbook 123-45-6789, and one digit repeated.
 */
const NOT_ISSUED = new Set(["078051120", "219099999", "123456789"]);

/** Whether nine digits are an SSN the issuance rules allow. */
export function ssnIssuable(digits: string): boolean {
  const area = Number(digits.slice(0, 3));
  if (area === 0 || area === 666 || area >= 900) return false;
  if (digits.slice(3, 5) === "00" || digits.slice(5) === "0000") return false;
  if (NOT_ISSUED.has(digits) || digits === digits[0]!.repeat(9)) return false;
  return true;
}

export const SSN_DETECTOR: Detector = {
  kind: "us_ssn",
  maxSpan: 11,
  find(text, from, until = text.length) {
    const spans: PiiSpan[] = [];
    if (!hasDigit(text, from)) return { spans, next: from };
    const verdicts = new Map<string, boolean>();
    const next = leftmost([SSN_CANDIDATE], text, from, until, (_, m) => {
      const bare = m[0].length === 9;
      const digits = () => (bare ? m[0] : m[0].slice(0, 3) + m[0].slice(4, 6) + m[0].slice(7));
      if (!remembered(verdicts, m[0], () => ssnIssuable(digits()))) return;
      const context = contextBefore(text, m.index, "us_ssn", bare ? BARE_CONTEXT_CHARS : undefined);
      // Nine bare digits are an SSN only when something says so.
      if (bare && context !== "raising") return;
      report(
        spans,
        "us_ssn",
        "ssn.issuance",
        m.index,
        m.index + m[0].length,
        scored(context, 0.6, true, 0.3),
      );
    });
    return { spans, next };
  },
};

// IBANs: country code, two check digits and the account (BBAN), electronic or printed in groups
// of four; valid only when the length is the country's and the ISO 7064 mod-97 check holds.
import type { Detector } from "../scan.js";
import { contextBefore, scored } from "./context.js";
import { hasDigit } from "./digits.js";
import { IBAN_LENGTHS } from "./iban-lengths.js";
import { leftmost } from "./leftmost.js";
import { remembered } from "./remembered.js";
import { report, type PiiSpan } from "./span.js";

// 15–34 characters, optionally in groups of four separated by single spaces, starting only
// where a run of letters and digits starts.
export const IBAN_CANDIDATE =
  /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])/g;

/**
 * ISO 13616 check, spaces skipped: the first four characters moved to the end, letters as
 * 10–35, the number mod 97 is 1 (computed digit by digit, so it never outgrows a double).
 */
export function ibanChecksumValid(iban: string): boolean {
  let rest = 0;
  const step = (c: number): boolean => {
    if (c >= 48 && c <= 57) rest = (rest * 10 + (c - 48)) % 97;
    else if (c >= 65 && c <= 90) rest = (rest * 100 + (c - 55)) % 97;
    else return c === 32;
    return true;
  };
  for (let i = 4; i < iban.length; i++) if (!step(iban.charCodeAt(i))) return false;
  for (let i = 0; i < 4; i++) if (!step(iban.charCodeAt(i))) return false;
  return rest === 1;
}

/**
 * The end of the IBAN that starts the candidate: its country's length of characters, which must
 * end at a group boundary (a space or the candidate's end); -1 if there is none.
 */
function ibanEnd(candidate: string): number {
  const length = IBAN_LENGTHS[candidate.slice(0, 2)];
  if (length === undefined) return -1;
  let seen = 0;
  for (let i = 0; i < candidate.length; i++) {
    if (candidate.charCodeAt(i) !== 32) seen++;
    if (seen === length) return i + 1 === candidate.length || candidate[i + 1] === " " ? i + 1 : -1;
  }
  return -1;
}

export const IBAN_DETECTOR: Detector = {
  kind: "iban",
  maxSpan: 34 + 8,
  find(text, from, until = text.length) {
    const spans: PiiSpan[] = [];
    if (!hasDigit(text, from)) return { spans, next: from };
    const ends = new Map<string, number>();
    const next = leftmost([IBAN_CANDIDATE], text, from, until, (_, m) => {
      // The candidate may run on into a word of four capitals after the IBAN ("… 7034 THEN").
      const end = remembered(ends, m[0], () => {
        const at = ibanEnd(m[0]);
        return at >= 0 && ibanChecksumValid(m[0].slice(0, at)) ? at : -1;
      });
      if (end < 0) return;
      const context = contextBefore(text, m.index, "iban");
      report(spans, "iban", "iban.mod97", m.index, m.index + end, scored(context, 0.9, false, 0.1));
    });
    return { spans, next };
  },
};

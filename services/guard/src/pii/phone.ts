// Phone numbers, validated by libphonenumber-js against each country's numbering plan. Its own
// finder (findPhoneNumbersInText) takes 0.5 s on 16 KB of spaced digits, so candidates come
// from a bounded pattern here and each is validated on its own: numbers written with "+"
// always, national numbers of the default regions only after a phone context word.
import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js/max";
import type { Detector } from "../scan.js";
import { RAISING, contextBefore, scored } from "./context.js";
import { hasDigit } from "./digits.js";
import { leftmost } from "./leftmost.js";
import { remembered } from "./remembered.js";
import { report, type PiiSpan } from "./span.js";

// Digits in groups split by up to three separators, after a "+" ("(+") or an optional "(";
// a group of one digit only before one of two or more ("+33 6 12 34 56 78"), so spaced single
// digits are no candidate. Each step is a digit or a new group: the two start differently, so
// there is one way to match. It starts only where a run of digits and separators starts (a "+"
// starts one anew), and does not end inside one.
const START = String.raw`(?:(?<![\w+(])\(?\+|(?<![\w+(]|\d[ ().\/-]{1,3})\(?)`;
const INTERNATIONAL_START = String.raw`(?<![\w+(])\(?\+`;
const DIGITS = String.raw`\d(?:\d|[ ().\/-]{1,3}\d(?:\d|(?=[ ().\/-]{1,3}\d\d))){5,17}(?![ ().\/-]{0,3}\d)`;
export const PHONE_CANDIDATE = new RegExp(START + DIGITS, "g");
/** The same, for numbers written with "+" only: where no phone context word is near. */
export const INTERNATIONAL_CANDIDATE = new RegExp(INTERNATIONAL_START + DIGITS, "g");
/**
 * Any phone context word, even inside another ("hotel"): a window without one has no national
 * number to find. A prefilter only (each candidate still needs the word before it), so it has
 * no word boundaries, which in Unicode mode cost a check at every character.
 */
export const PHONE_WORDS = new RegExp(RAISING.phone.join("|"), "i");

/** Regions whose national numbers are recognised (after a context word). */
export const DEFAULT_REGIONS: readonly CountryCode[] = ["US", "GB", "DE", "FR"];

/** Characters before a national number searched for a phone context word. */
const PHONE_CONTEXT_CHARS = 40;

/** Whether the candidate is a valid number, dialled internationally or in one of `regions`. */
function validPhone(candidate: string, regions: readonly (CountryCode | undefined)[]): boolean {
  for (const region of regions) {
    if (parsePhoneNumberFromString(candidate, region)?.isValid()) return true;
  }
  return false;
}

const INTERNATIONAL: readonly undefined[] = [undefined];

export const PHONE_DETECTOR: Detector = {
  kind: "phone",
  maxSpan: 2 + 1 + 17 * 5,
  find(text, from, until = text.length) {
    const spans: PiiSpan[] = [];
    if (!hasDigit(text, from)) return { spans, next: from };
    const verdicts = new Map<string, boolean>();
    const candidates = PHONE_WORDS.test(text) ? PHONE_CANDIDATE : INTERNATIONAL_CANDIDATE;
    const next = leftmost([candidates], text, from, until, (_, m) => {
      const candidate = m[0];
      const international = candidate.includes("+");
      // A number seen before and found invalid is dropped before its context is read.
      if (verdicts.get(candidate) === false) return;
      const context = contextBefore(text, m.index, "phone", PHONE_CONTEXT_CHARS);
      if (context === "lowering" || (!international && context !== "raising")) return;
      const regions = international ? INTERNATIONAL : DEFAULT_REGIONS;
      if (!remembered(verdicts, candidate, () => validPhone(candidate, regions))) return;
      report(
        spans,
        "phone",
        "phone.libphonenumber",
        m.index,
        m.index + candidate.length,
        scored(context, 0.7, true),
      );
    });
    return { spans, next };
  },
};

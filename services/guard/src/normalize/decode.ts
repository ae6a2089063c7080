// Bounded decode-and-rescan: runs of base64, hex, percent-encoding and HTML entities in a
// text (and the text in ROT13 when it mentions ROT13) decoded, so a detector can read what
// they hide. One pass over char codes finds the runs; only runs that could hide text are
// decoded (at most MAX_RUN characters each, at most MAX_TOTAL decoded per text, each distinct
// run once), so the cost stays linear. Callers bound the depth (a decoded text is decoded
// again at most once).
import { decodeHTML } from "entities";
import { asString } from "./normalize.js";

/** The longest run decoded: an instruction fits in far less. */
export const MAX_RUN = 1024;
const MAX_TOTAL = 64 * 1024;
const MIN_RUN = 16;

/** How a run was encoded. */
export type Encoding = "base64" | "hex" | "percent" | "html" | "rot13";

// Character classes, by char code: bits of what a character is, for the runs and escapes.
const BASE64 = 1;
const HEX = 2;
const ALPHANUMERIC = 4;
const UPPER = 8;
const LOWER = 16;
const DIGIT = 32;
/** A base64 character that is no hex digit. */
const NOT_HEX = 64;
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9+/_=-]/.test(ch)) CLASS[c]! |= BASE64;
  if (/[0-9a-fA-F]/.test(ch)) CLASS[c]! |= HEX;
  else if (/[A-Za-z0-9+/_=-]/.test(ch)) CLASS[c]! |= NOT_HEX;
  if (/[0-9A-Za-z]/.test(ch)) CLASS[c]! |= ALPHANUMERIC;
  if (/[A-Z]/.test(ch)) CLASS[c]! |= UPPER;
  if (/[a-z]/.test(ch)) CLASS[c]! |= LOWER;
  if (/[0-9]/.test(ch)) CLASS[c]! |= DIGIT;
}
const isHex = (c: number) => c < 128 && (CLASS[c]! & HEX) !== 0;
const isAlphanumeric = (c: number) => c < 128 && (CLASS[c]! & ALPHANUMERIC) !== 0;
/**
 * The code unit at `i`, or 0 past either end. Reading past the end with charCodeAt (NaN) makes
 * V8 drop a loop's optimised code for a slower one (3× here), so the loops never do.
 */
const codeAt = (s: string, i: number): number => (i >= 0 && i < s.length ? s.charCodeAt(i) : 0);

// Letters of the other scripts the injection rules read (Cyrillic, Arabic, Devanagari, kana, CJK, Hangul).
const OTHER_SCRIPT_LETTERS =
  /(?:[\u0400-\u04ff]|[\u0600-\u06ff]|[\u0900-\u097f]|[\u3040-\u30ff]|[\u3400-\u9fff]|[\uac00-\ud7af]){2}/;

/** Mostly printable text (letters, digits, punctuation, spaces): what an instruction looks like. */
function readable(s: string): boolean {
  if (s.length < 8) return false;
  let ok = 0;
  // Which Latin letters occur: words use several ("wwww…", decoded from "7777…", does not).
  let seen = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 32 && c < 127) || c === 10 || c === 9 || c >= 0xa0) ok++;
    const lower = c | 32;
    if (lower >= 97 && lower <= 122) seen |= 1 << (lower - 97);
  }
  let distinct = 0;
  for (; seen !== 0; seen &= seen - 1) distinct++;
  return ok / s.length >= 0.9 && (distinct >= 5 || OTHER_SCRIPT_LETTERS.test(s));
}

const ROT13 = new Uint16Array(128).map((_, c) =>
  c >= 65 && c <= 90 ? ((c - 52) % 26) + 65 : c >= 97 && c <= 122 ? ((c - 84) % 26) + 97 : c,
);

function rot13(s: string): string {
  const out = new Uint16Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[i] = c < 128 ? ROT13[c]! : c;
  }
  return asString(out, out.length);
}

/** The length of the escape ("%41", "&#105;", "&amp;") at `at`, or 0. */
function escapeAt(text: string, at: number, lead: number): number {
  if (codeAt(text, at) !== lead) return 0;
  if (lead === 37) return isHex(codeAt(text, at + 1)) && isHex(codeAt(text, at + 2)) ? 3 : 0;
  // "&", an optional "#", one to eight letters or digits, ";".
  let k = at + 1;
  if (codeAt(text, k) === 35) k++;
  let n = 0;
  while (n < 9 && isAlphanumeric(codeAt(text, k + n))) n++;
  return n >= 1 && n <= 8 && codeAt(text, k + n) === 59 ? k + n + 1 - at : 0;
}

/** The end of the run of escapes from `at`, with up to 3 other characters between them; `at` if under 4. */
function escapedRunEnd(text: string, at: number, lead: number): number {
  let end = at;
  let count = 0;
  while (end - at < MAX_RUN) {
    const length = escapeAt(text, end, lead);
    if (length === 0) break;
    end += length;
    count++;
    // Up to three plain characters before the next escape.
    let k = end;
    while (k < text.length && k - end < 3 && text.charCodeAt(k) !== lead && text.charCodeAt(k) > 32) k++;
    if (codeAt(text, k) !== lead) break;
    end = k;
  }
  return count >= 4 ? end : at;
}

/** A run decoded already: where it is in the text, and what it decodes to (null: nothing readable). */
interface Run {
  start: number;
  length: number;
  decoded: string | null;
}
/** Runs kept to compare a new one with. */
const RECENT = 4;

/** Whether the `length` characters at `at` are those of `run`. */
function sameRun(text: string, run: Run, at: number, length: number): boolean {
  if (run.length !== length) return false;
  for (let k = 0; k < length; k++)
    if (text.charCodeAt(run.start + k) !== text.charCodeAt(at + k)) return false;
  return true;
}

/** What a run of `encoding` says. */
function decode(encoding: Encoding, run: string): string {
  switch (encoding) {
    case "html":
      return decodeHTML(run);
    case "percent":
      try {
        return decodeURIComponent(run);
      } catch {
        return ""; // not valid percent-encoding: nothing hidden in it
      }
    case "hex":
      return Buffer.from(run, "hex").toString("utf8");
    case "base64":
      return Buffer.from(run.replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("utf8");
    case "rot13":
      return rot13(run);
  }
}

/** A character that ends a base64 run. */
const NOT_BASE64 = /[^A-Za-z0-9+/_=-]/g;

/** Where "rot13" ("rot 13", "ROT-13") is mentioned. */
const MENTIONS_ROT13 = /rot[ -]?13/gi;

/**
 * Calls `visit` for each run in `text` that starts in [from, until) and decodes to readable text,
 * in the order: escapes, base64 and hex, ROT13. A run that repeats (a log, a megabyte of one
 * token) is decoded once: what each distinct run decodes to is kept for the call, so `visit`
 * gets the same string for it each time.
 */
export function decodeRuns(
  text: string,
  from: number,
  until: number,
  visit: (encoding: Encoding, start: number, end: number, decoded: string) => void,
): void {
  const stop = Math.min(until, text.length);
  // The readable text each distinct run decodes to, or null (made on the first run).
  let decodedRuns: Map<string, string | null> | undefined;
  let total = 0;
  // The run [start, end) decoded once per distinct text (`key`: the run, marked for ROT13).
  const add = (encoding: Encoding, start: number, end: number, key: string): void => {
    if (total >= MAX_TOTAL) return;
    decodedRuns ??= new Map();
    let decoded = decodedRuns.get(key);
    if (decoded === undefined) {
      const d = decode(encoding, text.slice(start, end));
      decoded = readable(d) ? d : null;
      decodedRuns.set(key, decoded);
    }
    if (decoded === null) return;
    total += decoded.length;
    visit(encoding, start, end, decoded);
  };
  const recent: Run[] = [];
  let recentNext = 0;
  // Escapes: from each % or &, found natively.
  for (const lead of [37, 38]) {
    const leadChar = String.fromCharCode(lead);
    for (
      let i = text.indexOf(leadChar, from);
      i !== -1 && i < stop && total < MAX_TOTAL;
      i = text.indexOf(leadChar, i + 1)
    ) {
      const end = escapedRunEnd(text, i, lead);
      if (end === i) continue;
      add(lead === 38 ? "html" : "percent", i, end, text.slice(i, end));
      i = end - 1;
    }
  }
  for (let i = from; i < stop && total < MAX_TOTAL;) {
    // A run of MIN_RUN base64 characters from i needs all of [i, i + MIN_RUN): look from the
    // far end back; at the first that is not base64, no such run starts before it, so jump
    // past it (Boyer-Moore-Horspool's idea). What is read on the way counts for the run.
    let shape = 0;
    let digits = 0;
    let j = i + MIN_RUN - 1;
    for (; j >= i; j--) {
      const d = codeAt(text, j);
      const c = d < 128 ? CLASS[d]! : 0;
      if ((c & BASE64) === 0) break;
      shape |= c;
      if ((c & DIGIT) !== 0) digits++;
    }
    if (j >= i) {
      i = j + 1;
      continue;
    }
    // The rest of the run up to MAX_RUN; past it only skipped, by a native search for its end.
    let end = i + MIN_RUN;
    const readTo = Math.min(text.length, i + MAX_RUN);
    for (; end < readTo; end++) {
      const d = text.charCodeAt(end);
      const c = d < 128 ? CLASS[d]! : 0;
      if ((c & BASE64) === 0) break;
      shape |= c;
      if ((c & DIGIT) !== 0) digits++;
    }
    if (end === readTo && end < text.length) {
      NOT_BASE64.lastIndex = end;
      end = NOT_BASE64.exec(text)?.index ?? text.length;
    }
    const length = Math.min(end - i, MAX_RUN);
    // Text in hex is at least half digits (every byte of ASCII starts with 2–7): "bbbb…" is not.
    const hex = (shape & NOT_HEX) === 0 && length % 2 === 0 && digits * 2 >= length;
    // Plain words are base64-shaped too; a real payload mixes cases.
    if ((hex || ((shape & UPPER) !== 0 && (shape & LOWER) !== 0)) && total < MAX_TOTAL) {
      // A run like one of the last few (a token repeated) is found by comparing characters in
      // place, with no key to cut and hash.
      let k = 0;
      while (k < recent.length && !sameRun(text, recent[k]!, i, length)) k++;
      if (k < recent.length) {
        const decoded = recent[k]!.decoded;
        if (decoded !== null) {
          total += decoded.length;
          visit(hex ? "hex" : "base64", i, i + length, decoded);
        }
      } else {
        const run = text.slice(i, i + length);
        add(hex ? "hex" : "base64", i, i + length, run);
        recent[recentNext] = { start: i, length, decoded: decodedRuns!.get(run)! };
        recentNext = (recentNext + 1) % RECENT;
      }
    }
    // The character at `end` ends the run: the next run starts after it.
    i = end + 1;
  }
  // ROT13: the text just after each mention of it (the first few), where the payload sits.
  // (The search resumes from where it stopped: `visit` may decode a text of its own meanwhile.)
  for (let n = 0, at = from; n < 4; n++) {
    MENTIONS_ROT13.lastIndex = at;
    const m = MENTIONS_ROT13.exec(text);
    if (m === null || m.index >= stop) break;
    at = m.index + m[0].length;
    const start = m.index;
    const end = Math.min(text.length, start + MAX_RUN);
    add("rot13", start, end, `\u0000${text.slice(start, end)}`);
  }
}

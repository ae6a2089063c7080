// Bounded decode-and-rescan: runs of base64, hex, percent-encoding and HTML entities in a
// text (and the text in ROT13 when it mentions ROT13) decoded, so a detector can read what
// they hide. One pass over char codes finds the runs; only runs that could hide text are
// decoded (at most MAX_RUN characters each, at most MAX_TOTAL decoded per text), so the cost
// stays linear. Callers bound the depth (a decoded text is decoded again at most once).
import { decodeHTML } from "entities";

/** The longest run decoded: an instruction fits in far less. */
export const MAX_RUN = 1024;
const MAX_TOTAL = 64 * 1024;
const MIN_RUN = 16;

/** A decoded piece and the run of the text it came from. */
export interface Decoded {
  encoding: "base64" | "hex" | "percent" | "html" | "rot13";
  start: number;
  end: number;
  text: string;
}

// Character classes, by char code: 1 base64, 2 hex digit (also base64).
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9+/_=-]/.test(ch)) CLASS[c]! |= 1;
  if (/[0-9a-fA-F]/.test(ch)) CLASS[c]! |= 2;
}
/** Counts one character of a run toward what it could be. */
function note(shape: { upper: boolean; lower: boolean; hexOnly: boolean; digits: number }, d: number): void {
  if (d >= 65 && d <= 90) shape.upper = true;
  else if (d >= 97 && d <= 122) shape.lower = true;
  else if (d >= 48 && d <= 57) shape.digits++;
  if ((CLASS[d]! & 2) === 0) shape.hexOnly = false;
}

const isBase64 = (c: number) => c < 128 && (CLASS[c]! & 1) !== 0;
const MENTIONS_ROT13 = /rot[ -]?13/gi;

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
  return new TextDecoder("utf-16le").decode(out);
}

/** The end of the run of `pattern` ("%41", "&#105;") repeated from `at`, with up to 3 other characters between. */
function escapedRunEnd(text: string, at: number, lead: number, body: RegExp): number {
  body.lastIndex = at;
  let end = at;
  let count = 0;
  for (let m = body.exec(text); m !== null && m.index === end && end - at < MAX_RUN; m = body.exec(text)) {
    end = m.index + m[0].length;
    count++;
    // Up to three plain characters before the next escape.
    let k = end;
    while (k < text.length && k - end < 3 && text.charCodeAt(k) !== lead && text.charCodeAt(k) > 32) k++;
    if (text.charCodeAt(k) !== lead) break;
    end = k;
    body.lastIndex = k;
  }
  return count >= 4 ? end : at;
}
const PERCENT_ESCAPE = /%[0-9a-fA-F]{2}/y;
const ENTITY = /&#?[0-9a-zA-Z]{1,8};/y;

export function decodeRuns(text: string, from = 0, until = text.length): Decoded[] {
  const out: Decoded[] = [];
  let total = 0;
  const add = (encoding: Decoded["encoding"], start: number, end: number, decoded: string) => {
    if (total >= MAX_TOTAL || !readable(decoded)) return;
    total += decoded.length;
    out.push({ encoding, start, end, text: decoded });
  };
  // Escapes: from each % or &, found natively.
  for (const lead of ["%", "&"]) {
    const body = lead === "%" ? PERCENT_ESCAPE : ENTITY;
    for (
      let i = text.indexOf(lead, from);
      i !== -1 && i < until && total < MAX_TOTAL;
      i = text.indexOf(lead, i + 1)
    ) {
      const end = escapedRunEnd(text, i, lead.charCodeAt(0), body);
      if (end === i) continue;
      const run = text.slice(i, end);
      if (lead === "&") add("html", i, end, decodeHTML(run));
      else
        try {
          add("percent", i, end, decodeURIComponent(run));
        } catch {
          // Not valid percent-encoding: nothing hidden in it.
        }
      i = end - 1;
    }
  }
  for (let i = from; i < until && total < MAX_TOTAL;) {
    // A run of MIN_RUN base64 characters from i needs all of [i, i + MIN_RUN): look from the
    // far end back; at the first that is not base64, no such run starts before it, so jump
    // past it (Boyer-Moore-Horspool's idea). What is read on the way counts for the run.
    const shape = { upper: false, lower: false, hexOnly: true, digits: 0 };
    let j = i + MIN_RUN - 1;
    for (; j >= i; j--) {
      const d = text.charCodeAt(j);
      if (!isBase64(d)) break;
      note(shape, d);
    }
    if (j >= i) {
      i = j + 1;
      continue;
    }
    // The rest of the run; past MAX_RUN only skipped.
    let end = i + MIN_RUN;
    for (; end < text.length; end++) {
      const d = text.charCodeAt(end);
      if (!isBase64(d)) break;
      if (end - i < MAX_RUN) note(shape, d);
    }
    const length = Math.min(end - i, MAX_RUN);
    // Text in hex is at least half digits (every byte of ASCII starts with 2–7): "bbbb…" is not.
    if (shape.hexOnly && length % 2 === 0 && shape.digits * 2 >= length) {
      add("hex", i, i + length, Buffer.from(text.slice(i, i + length), "hex").toString("utf8"));
    } else if (shape.upper && shape.lower) {
      // Plain words are base64-shaped too; a real payload mixes cases.
      const run = text
        .slice(i, i + length)
        .replace(/-/g, "+")
        .replace(/_/g, "/");
      add("base64", i, i + length, Buffer.from(run, "base64").toString("utf8"));
    }
    i = end;
  }
  // ROT13: the text just after each mention of it (the first few), where the payload sits.
  MENTIONS_ROT13.lastIndex = from;
  for (
    let n = 0, m = MENTIONS_ROT13.exec(text);
    m !== null && m.index < until && n < 4;
    m = MENTIONS_ROT13.exec(text), n++
  ) {
    const end = Math.min(text.length, m.index + MAX_RUN);
    add("rot13", m.index, end, rot13(text.slice(m.index, end)));
  }
  return out;
}

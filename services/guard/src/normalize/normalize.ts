// Text as a detector should read it, with a map back to the original: Unicode NFKC (full-width
// and styled letters become plain ones), lower case, invisible characters removed (zero-width,
// bidirectional controls, tag characters — and flagged, since hiding text is a sign), letters
// that look Latin folded to Latin (the `confusables` table; accents folded too), and a second
// view with spaced-out letters collapsed ("i g n o r e" → "ignore"). Leetspeak is read by the
// injection automaton itself (prefilter.ts).
//
// One pass per view over char codes into typed arrays: linear, a few ms per MB. ASCII text is
// its own view (one native check says so); text whose every character folds to one code unit
// (accents, Cyrillic, CJK, …) needs no map back; and the collapsed view is built only when the
// text has letters spaced out.
import { confusablesMap } from "confusables";

/**
 * A view of the text and where each of its characters came from in the original. ASCII letters
 * may keep their case (readers fold it themselves); the rest is lower case.
 */
export interface View {
  text: string;
  /**
   * `map[i]` is the original offset of `text[i]`; `map[text.length]` the original's end.
   * Absent: identity. Good until the next normalize() (it is a buffer reused from call to call).
   */
  map?: Int32Array;
}

export interface Normalized {
  /** NFKC, lower case (ASCII may keep its case), invisibles removed, confusables folded. */
  plain: View;
  /**
   * `plain` with spaced-out letters collapsed, made when the text has letters spaced out or
   * words glued by invisible characters, else undefined (with a reach, only the stretches
   * around what changed).
   */
  folded?: View;
  /** What the text tried to hide: {@link HIDDEN} bits, 0 for nothing. */
  flags: number;
}

/** What normalising found hidden, as bits of {@link Normalized.flags}. */
export const HIDDEN = { invisible: 1, bidi: 2, tag: 4, confusable: 8 } as const;

/** Original offset of a view's offset. */
export function originalOffset(view: View, at: number): number {
  return view.map === undefined ? at : view.map[Math.min(at, view.map.length - 1)]!;
}

/**
 * The first `n` code units as a string. Buffer's UTF-16 decoding: 3–5× TextDecoder's speed, and
 * no native object per call (a TextDecoder per call kept 2.7 MB alive through every young
 * collection of an attack-dense screening load until its finaliser ran: 4 ms pauses, not 1.5).
 */
export const asString = (codes: Uint16Array, n: number): string =>
  Buffer.from(codes.buffer, codes.byteOffset, n * 2).toString("utf16le");

const isLower = (c: number) => (c | 32) >= 97 && (c | 32) <= 122;
/**
 * The code unit at `i`, or 0 past either end. Reading past the end with charCodeAt (NaN) makes
 * V8 drop a loop's optimised code for a slower one (3× here), so the loops never do.
 */
const codeAt = (s: string, i: number): number => (i >= 0 && i < s.length ? s.charCodeAt(i) : 0);

/** Whether the text is all ASCII: one native pass (UTF-8 is longer for anything else). */
export const isAscii = (text: string): boolean => Buffer.byteLength(text, "utf8") === text.length;

// Four single letters in a row, spaced out: "i g n o".
const SPACED_OUT = /(?:^|[^a-z])[a-z][ ._*-][a-z][ ._*-][a-z][ ._*-][a-z](?![a-z])/i;
// Words glued by an invisible character ("ignore\u200ball"): read as one word once it is
// removed, so only a reader without word edges (the collapsed view) sees them.
const GLUED = /\p{L}[\u200b-\u200d\u2060\ufeff\u00ad]+\p{L}/u;

/** Latin letters with no decomposition to a base letter. */
const LATIN_EXTRA: Record<string, string> = {
  ı: "i",
  ł: "l",
  ø: "o",
  đ: "d",
  ß: "ss",
  æ: "ae",
  œ: "oe",
  ð: "d",
  þ: "th",
};
/**
 * Where letters that pass for Latin ones live: IPA, Greek, Cherokee, phonetic extensions,
 * letterlike symbols, Lisu, Cyrillic extensions. Arabic, Devanagari, CJK and the rest are
 * left alone (the confusables table maps some of their letters to Latin shapes too).
 */
const LOOK_ALIKE_BLOCKS: [number, number][] = [
  [0x0250, 0x03ff],
  [0x13a0, 0x13ff],
  [0x1d00, 0x1dbf],
  [0x2100, 0x214f],
  [0xa4d0, 0xa4ff],
  [0xa640, 0xa69f],
];
// Cyrillic letters that look Latin, used only inside Latin words (a Russian sentence stays Russian),
// by code point from U+0400: the Latin letter, or 0.
const CYRILLIC_LATIN = new Uint16Array(0x100);
for (const [cyrillic, latin] of Object.entries({
  а: "a",
  е: "e",
  о: "o",
  р: "p",
  с: "c",
  у: "y",
  х: "x",
  і: "i",
  ј: "j",
  ѕ: "s",
  һ: "h",
  к: "k",
  м: "m",
  т: "t",
}))
  CYRILLIC_LATIN[cyrillic.charCodeAt(0) - 0x400] = latin.charCodeAt(0);

/** The Latin letter a Cyrillic code unit passes for, or 0. */
const lookAlike = (c: number): number => (c >= 0x400 && c < 0x500 ? CYRILLIC_LATIN[c - 0x400]! : 0);

/** What a code point becomes, and what it hid ({@link HIDDEN} bits). */
interface Folded {
  text: string;
  hidden: number;
}

const REMOVED_INVISIBLE: Folded = { text: "", hidden: HIDDEN.invisible };
const REMOVED_BIDI: Folded = { text: "", hidden: HIDDEN.bidi };
const REMOVED_TAG: Folded = { text: "", hidden: HIDDEN.tag };
const cache = new Map<number, Folded>();

/** What one non-ASCII code point becomes: "" (removed), or its NFKC/confusable form, lower case. */
function fold(cp: number): Folded {
  if (cp === 0x200b || cp === 0x200c || cp === 0x200d || cp === 0x2060 || cp === 0xfeff || cp === 0x00ad)
    return REMOVED_INVISIBLE;
  if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp === 0x200e || cp === 0x200f)
    return REMOVED_BIDI;
  if (cp >= 0xe0000 && cp <= 0xe007f) return REMOVED_TAG;
  let out = cache.get(cp);
  if (out === undefined) {
    const nfkc = String.fromCodePoint(cp).normalize("NFKC").toLowerCase();
    if (cp >= 0xc0 && cp <= 0x24f) {
      // Accented Latin letters lose their accents ("précédentes", "talimatları"): they hide nothing.
      out = { text: LATIN_EXTRA[nfkc] ?? nfkc.normalize("NFKD").replace(/[\u0300-\u036f]/g, ""), hidden: 0 };
    } else if (LOOK_ALIKE_BLOCKS.some(([a, b]) => cp >= a && cp <= b)) {
      // Greek, symbol and phonetic letters that stand in for Latin ones: folded, and flagged.
      const latin = [...nfkc]
        .map((c) => confusablesMap.get(c) ?? c)
        .join("")
        .toLowerCase();
      const folds = /^[a-z]+$/.test(latin) && !/^[a-z]+$/.test(nfkc);
      out = folds ? { text: latin, hidden: HIDDEN.confusable } : { text: nfkc, hidden: 0 };
    } else {
      out = { text: nfkc, hidden: 0 };
    }
    if (cache.size < 65_536) cache.set(cp, out);
  }
  return out;
}

// Per BMP code unit from U+0080: what it folds to when that is one code unit (ONE | unit, with
// CONFUSABLE if it hid a letter), GONE with what it hid (in bits 24–27) when it is removed,
// OTHER when it is several units or a surrogate (then fold() says), 0 before it is first seen.
// One array lookup per character instead of a map's.
const ONE = 0x10000;
const CONFUSABLE = 0x20000;
const OTHER = 0x40000;
const GONE = 0x80000;
const FOLDED = new Int32Array(0x10000);

function foldedUnit(c: number): number {
  let v = FOLDED[c]!;
  if (v === 0) {
    const f = c >= 0xd800 && c <= 0xdfff ? undefined : fold(c);
    if (f === undefined) v = OTHER;
    else if (f.text.length === 0) v = GONE | (f.hidden << 24);
    else if (f.text.length !== 1) v = OTHER;
    else v = ONE | f.text.charCodeAt(0) | (f.hidden !== 0 ? CONFUSABLE : 0);
    FOLDED[c] = v;
  }
  return v;
}

// Buffers reused from one call to the next, up to a size: a window's worth of typed arrays per
// call was most of the guard's garbage, and their memory, outside the heap, made V8 collect
// often. The views' maps are these buffers: a view's map is good until the next normalize().
const SCRATCH_MAX = 1 << 18;
let scratchCodes = new Uint16Array(0);
let scratchPlainMap = new Int32Array(0);
let scratchFoldedMap = new Int32Array(0);
const roomFor = (n: number) => Math.min(SCRATCH_MAX, Math.max(1024, 2 ** Math.ceil(Math.log2(n))));

/** A buffer of at least `n` code units: the shared one, grown, unless that is too large. */
function codesOf(n: number): Uint16Array {
  if (n <= scratchCodes.length) return scratchCodes;
  if (n > SCRATCH_MAX) return new Uint16Array(n);
  return (scratchCodes = new Uint16Array(roomFor(n)));
}

function plainMapOf(n: number): Int32Array {
  if (n <= scratchPlainMap.length) return scratchPlainMap;
  if (n > SCRATCH_MAX) return new Int32Array(n);
  return (scratchPlainMap = new Int32Array(roomFor(n)));
}

function foldedMapOf(n: number): Int32Array {
  if (n <= scratchFoldedMap.length) return scratchFoldedMap;
  if (n > SCRATCH_MAX) return new Int32Array(n);
  return (scratchFoldedMap = new Int32Array(roomFor(n)));
}

/** The plain view, and what it hid. */
function plainView(original: string): { view: View; flags: number } {
  // ASCII text is its own view: the injection automaton reads upper case as lower case.
  if (isAscii(original)) return { view: { text: original }, flags: 0 };
  const length = original.length;
  let flags = 0;
  let codes = codesOf(length + 16);
  // While every character becomes one code unit, the view's offsets are the original's: no map.
  let i = 0;
  for (; i < length; i++) {
    const c = original.charCodeAt(i);
    if (c < 128) {
      codes[i] = c;
      continue;
    }
    const look = lookAlike(c);
    if (look !== 0 && (isLower(i > 0 ? codes[i - 1]! : 0) || isLower(codeAt(original, i + 1)))) {
      // A Cyrillic look-alike beside Latin letters ("ignоre" with a Cyrillic о) is Latin.
      flags |= HIDDEN.confusable;
      codes[i] = look;
      continue;
    }
    const v = foldedUnit(c);
    if ((v & ONE) === 0) break;
    if ((v & CONFUSABLE) !== 0) flags |= HIDDEN.confusable;
    codes[i] = v & 0xffff;
  }
  if (i === length) return { view: { text: asString(codes, length) }, flags };
  // From here on a character may become none or several: keep a map to the original. NFKC may
  // lengthen one (a ligature, "㎞"), so room is made before each of those for it and all after.
  let map = plainMapOf(codes.length + 1);
  for (let k = 0; k < i; k++) map[k] = k;
  let n = i;
  while (i < length) {
    const c = original.charCodeAt(i);
    if (c < 128) {
      codes[n] = c;
      map[n++] = i++;
      continue;
    }
    const look = lookAlike(c);
    if (look !== 0 && (isLower(n > 0 ? codes[n - 1]! : 0) || isLower(codeAt(original, i + 1)))) {
      flags |= HIDDEN.confusable;
      codes[n] = look;
      map[n++] = i++;
      continue;
    }
    const v = foldedUnit(c);
    if ((v & ONE) !== 0) {
      if ((v & CONFUSABLE) !== 0) flags |= HIDDEN.confusable;
      codes[n] = v & 0xffff;
      map[n++] = i++;
      continue;
    }
    if ((v & GONE) !== 0) {
      flags |= v >> 24;
      i++;
      continue;
    }
    const cp = original.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    const f = fold(cp);
    flags |= f.hidden;
    const needed = n + f.text.length + (length - i) + 16;
    if (needed > codes.length || needed + 1 > map.length) {
      const grown = new Uint16Array(needed * 2);
      grown.set(codes.subarray(0, n));
      codes = grown;
      const grownMap = new Int32Array(needed * 2 + 1);
      grownMap.set(map.subarray(0, n));
      map = grownMap;
    }
    for (let k = 0; k < f.text.length; k++) {
      codes[n] = f.text.charCodeAt(k);
      map[n++] = i;
    }
    i += width;
  }
  map[n] = length;
  return { view: { text: asString(codes, n), map: map.subarray(0, n + 1) }, flags };
}

const isSeparator = (c: number) => c === 32 || c === 46 || c === 45 || c === 95 || c === 42;

/**
 * Runs of single letters split by one separator joined up: a separator goes when a single letter
 * is on each side of it ("i g n": letters beside it, no letters beyond those). With `reach`,
 * only the stretches within `reach` of a change — a joint, or where the plain view's length
 * differs from the original's — are kept, one line each (see {@link normalize}).
 */
function collapsedView(view: View, reach: number): View {
  const src = view.text;
  const length = src.length;
  const codes = codesOf(length);
  const map = foldedMapOf(length + 1);
  const from = view.map;
  let n = 0;
  // The stretches of the collapsed text [lo, hi) within `reach` of a joint, merged as they come.
  const stretches: number[] = [];
  // Whether the characters at i - 2, i - 1, i + 1 and i + 2 are ASCII letters, shifted along.
  let before2 = false;
  let before1 = false;
  let after1 = isLower(codeAt(src, 1));
  let c = codeAt(src, 0);
  for (let i = 0; i < length; i++) {
    const next = codeAt(src, i + 2);
    const after2 = isLower(next);
    const joint = isSeparator(c) && before1 && after1 && !before2 && !after2;
    if (!joint) {
      codes[n] = c >= 65 && c <= 90 ? c + 32 : c;
      map[n++] = from === undefined ? i : from[i]!;
    }
    // A joint, or a character whose original was not one code unit (an invisible one removed, a
    // ligature expanded): a reader of this view may count either as a change it made readable.
    if (joint || (from !== undefined && from[i + 1]! - from[i]! !== 1)) {
      if (stretches.length > 0 && stretches[stretches.length - 1]! >= n - reach)
        stretches[stretches.length - 1] = n + reach;
      else stretches.push(Math.max(0, n - reach), n + reach);
    }
    before2 = before1;
    before1 = isLower(c);
    c = codeAt(src, i + 1);
    after1 = after2;
  }
  map[n] = from === undefined ? length : from[length]!;
  if (reach === Infinity) return { text: asString(codes, n), map: map.subarray(0, n + 1) };
  // The stretches moved to the front, in order, a line break between two (it ends any chain
  // of words): the view's offsets still rise, as the map needs.
  let kept = 0;
  for (let k = 0; k < stretches.length; k += 2) {
    const lo = stretches[k]!;
    const hi = Math.min(n, stretches[k + 1]!);
    if (kept > 0) {
      codes[kept] = 10;
      map[kept++] = map[lo]!;
    }
    codes.copyWithin(kept, lo, hi);
    map.copyWithin(kept, lo, hi);
    kept += hi - lo;
    if (k + 2 === stretches.length) map[kept] = map[hi]!;
  }
  if (stretches.length === 0) map[0] = map[n]!; // nothing joined: an empty view at the end
  return { text: asString(codes, kept), map: map.subarray(0, kept + 1) };
}

/**
 * The text's views. `collapsedReach`: keep only the parts of the collapsed view within that many
 * characters of where it differs in length from the original (letters joined, invisibles
 * removed): a reader that only wants what those changes made readable, as the injection layer,
 * need not read — nor copy — the rest again.
 */
export function normalize(original: string, collapsedReach = Infinity): Normalized {
  const { view: plain, flags } = plainView(original);
  const folded =
    SPACED_OUT.test(plain.text) || ((flags & HIDDEN.invisible) !== 0 && GLUED.test(original))
      ? collapsedView(plain, collapsedReach)
      : undefined;
  return { plain, folded, flags };
}

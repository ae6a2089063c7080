// Text as a detector should read it, with a map back to the original: Unicode NFKC (full-width
// and styled letters become plain ones), lower case, invisible characters removed (zero-width,
// bidirectional controls, tag characters — and flagged, since hiding text is a sign), letters
// that look Latin folded to Latin (the `confusables` table; accents folded too), and a second
// view with spaced-out letters collapsed ("i g n o r e" → "ignore"). Leetspeak is read by the
// injection automaton itself (prefilter.ts).
//
// One pass per view over char codes into typed arrays: linear, a few ms per MB. ASCII text
// takes the fast path (native lowercase, no map), and the collapsed view is built only when
// the text has letters spaced out.
import { confusablesMap } from "confusables";

/**
 * A view of the text and where each of its characters came from in the original. An ASCII
 * view may keep upper case (readers fold it themselves); any other view is lower case.
 */
export interface View {
  text: string;
  /** `map[i]` is the original offset of `text[i]`; `map[text.length]` the original's end. Absent: identity. */
  map?: Int32Array;
}

export interface Normalized {
  /** NFKC, lower case, invisibles removed, confusables folded. */
  plain: View;
  /** `plain` with spaced-out letters collapsed; undefined when it would be the same. */
  folded?: View;
  /** What the text tried to hide: "invisible", "bidi", "tag", "confusable". */
  flags: Set<string>;
}

/** Original offset of a view's offset. */
export function originalOffset(view: View, at: number): number {
  return view.map === undefined ? at : view.map[Math.min(at, view.map.length - 1)]!;
}

const UTF16 = new TextDecoder("utf-16le");
const asString = (codes: Uint16Array, n: number): string => UTF16.decode(codes.subarray(0, n));

const isLower = (c: number) => (c | 32) >= 97 && (c | 32) <= 122;
const isSeparator = (c: number) => c === 32 || c === 46 || c === 45 || c === 95 || c === 42;

/** A separator between two single letters ("i g n"): the collapsed view drops it. */
function joinsSingleLetters(t: string, i: number): boolean {
  return (
    isSeparator(t.charCodeAt(i)) &&
    isLower(t.charCodeAt(i - 1)) &&
    isLower(t.charCodeAt(i + 1)) &&
    !isLower(t.charCodeAt(i - 2)) &&
    !isLower(t.charCodeAt(i + 2))
  );
}

// Four single letters in a row, spaced out: "i g n o".
const SPACED_OUT = /(?:^|[^a-z])[a-z][ ._*-][a-z][ ._*-][a-z][ ._*-][a-z](?![a-z])/i;
const NON_ASCII = /[^\u0000-\u007f]/; // eslint-disable-line no-control-regex -- "not ASCII" names the range

const cache = new Map<number, string>();
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
// Cyrillic letters that look Latin, used only inside Latin words (a Russian sentence stays Russian).
const CYRILLIC_LATIN = new Map(
  Object.entries({
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
  }).map(([k, v]) => [k.charCodeAt(0), v.charCodeAt(0)]),
);

/** What one non-ASCII code point becomes: "" (removed), or its NFKC/confusable form, lower case; flags what it hid. */
function fold(cp: number, flags: Set<string>): string {
  if (cp === 0x200b || cp === 0x200c || cp === 0x200d || cp === 0x2060 || cp === 0xfeff || cp === 0x00ad) {
    flags.add("invisible");
    return "";
  }
  if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp === 0x200e || cp === 0x200f) {
    flags.add("bidi");
    return "";
  }
  if (cp >= 0xe0000 && cp <= 0xe007f) {
    flags.add("tag");
    return "";
  }
  let out = cache.get(cp);
  if (out === undefined) {
    const nfkc = String.fromCodePoint(cp).normalize("NFKC").toLowerCase();
    if (cp >= 0xc0 && cp <= 0x24f) {
      // Accented Latin letters lose their accents ("précédentes", "talimatları"): they hide nothing.
      out = LATIN_EXTRA[nfkc] ?? nfkc.normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
    } else if (LOOK_ALIKE_BLOCKS.some(([a, b]) => cp >= a && cp <= b)) {
      // Greek, symbol and phonetic letters that stand in for Latin ones: folded, and flagged.
      const latin = [...nfkc]
        .map((c) => confusablesMap.get(c) ?? c)
        .join("")
        .toLowerCase();
      out = /^[a-z]+$/.test(latin) && !/^[a-z]+$/.test(nfkc) ? `\u0000${latin}` : nfkc;
    } else {
      out = nfkc;
    }
    if (cache.size < 65_536) cache.set(cp, out);
  }
  if (out.charCodeAt(0) === 0) {
    flags.add("confusable");
    return out.slice(1);
  }
  return out;
}

function plainView(original: string, flags: Set<string>): View {
  // ASCII text is its own view: the injection automaton reads upper case as lower case.
  if (!NON_ASCII.test(original)) return { text: original };
  // One code unit per ASCII character; NFKC may lengthen others (a ligature, "㎞"), so room is
  // made before each of those for it and everything after it.
  let codes = new Uint16Array(original.length + 16);
  let map = new Int32Array(original.length + 17);
  let n = 0;
  for (let i = 0; i < original.length;) {
    const cp = original.codePointAt(i)!;
    if (cp < 128) {
      codes[n] = cp >= 65 && cp <= 90 ? cp + 32 : cp;
      map[n++] = i++;
      continue;
    }
    const width = cp > 0xffff ? 2 : 1;
    const look = CYRILLIC_LATIN.get(cp);
    const next = original.charCodeAt(i + width) | 32;
    let s: string;
    if (look !== undefined && (isLower(n > 0 ? codes[n - 1]! : 0) || isLower(next))) {
      // A Cyrillic look-alike beside Latin letters ("ignоre" with a Cyrillic о) is Latin.
      flags.add("confusable");
      s = String.fromCharCode(look);
    } else {
      s = fold(cp, flags);
    }
    const needed = n + s.length + (original.length - i) + 16;
    if (needed > codes.length) {
      const grown = new Uint16Array(needed * 2);
      grown.set(codes);
      codes = grown;
      const grownMap = new Int32Array(needed * 2 + 1);
      grownMap.set(map);
      map = grownMap;
    }
    for (let k = 0; k < s.length; k++) {
      codes[n] = s.charCodeAt(k);
      map[n++] = i;
    }
    i += width;
  }
  map[n] = original.length;
  return { text: asString(codes, n), map: map.slice(0, n + 1) };
}

/** Runs of single letters split by one separator joined up. */
function collapsedView(view: View): View {
  const src = view.text;
  const codes = new Uint16Array(src.length);
  const map = new Int32Array(src.length + 1);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    if (joinsSingleLetters(src, i)) continue;
    const c = src.charCodeAt(i);
    codes[n] = c >= 65 && c <= 90 ? c + 32 : c;
    map[n++] = view.map === undefined ? i : view.map[i]!;
  }
  map[n] = view.map === undefined ? src.length : view.map[src.length]!;
  return { text: asString(codes, n), map: map.slice(0, n + 1) };
}

export function normalize(original: string): Normalized {
  const flags = new Set<string>();
  const plain = plainView(original, flags);
  return { plain, folded: SPACED_OUT.test(plain.text) ? collapsedView(plain) : undefined, flags };
}

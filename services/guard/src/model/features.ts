// Text → model input: the contract every model for the guard's model layer is trained on
// (docs/guard-model.md has a reference implementation in Python to train with).
//
//   1. Bound: a text longer than 2 × EDGE_CODE_POINTS code points is cut to its first and its
//      last EDGE_CODE_POINTS, two segments (no trigram spans the cut), so cost is bounded.
//   2. Per segment: Unicode NFKC, then lowercase (Unicode default case mapping), then every run
//      of ASCII whitespace (tab, LF, VT, FF, CR, space) becomes one space, leading and trailing
//      spaces go, and one space is put at each end (so short words still make trigrams).
//   3. Every character trigram (three consecutive code points) is hashed with 32-bit FNV-1a over
//      its UTF-8 bytes; its bucket is the hash modulo D, and the bucket counts one more.
//   4. The D counts of the whole text are L2-normalised (a text without trigrams stays all zeros).

/** Names this contract; a model trained on another one scores nonsense. */
export const FEATURES_VERSION = "char3-fnv1a32-l2-v1";
/** Code points kept from each end of a long text. */
export const EDGE_CODE_POINTS = 8192;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** 32-bit FNV-1a of a string's UTF-8 bytes (unsigned). */
export function fnv1a32(text: string): number {
  let h = FNV_OFFSET;
  for (const ch of text) h = hashCodePoint(h, ch.codePointAt(0) ?? 0);
  return h >>> 0;
}

/** Folds one code point's UTF-8 bytes into an FNV-1a state. */
function hashCodePoint(h: number, cp: number): number {
  if (cp < 0x80) return Math.imul(h ^ cp, FNV_PRIME);
  if (cp < 0x800) {
    h = Math.imul(h ^ (0xc0 | (cp >> 6)), FNV_PRIME);
    return Math.imul(h ^ (0x80 | (cp & 0x3f)), FNV_PRIME);
  }
  if (cp < 0x10000) {
    // A lone surrogate: UTF-8 cannot carry it; hash U+FFFD as an encoder would write it.
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    h = Math.imul(h ^ (0xe0 | (cp >> 12)), FNV_PRIME);
    h = Math.imul(h ^ (0x80 | ((cp >> 6) & 0x3f)), FNV_PRIME);
    return Math.imul(h ^ (0x80 | (cp & 0x3f)), FNV_PRIME);
  }
  h = Math.imul(h ^ (0xf0 | (cp >> 18)), FNV_PRIME);
  h = Math.imul(h ^ (0x80 | ((cp >> 12) & 0x3f)), FNV_PRIME);
  h = Math.imul(h ^ (0x80 | ((cp >> 6) & 0x3f)), FNV_PRIME);
  return Math.imul(h ^ (0x80 | (cp & 0x3f)), FNV_PRIME);
}

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/**
 * The text as the model sees it before normalisation: whole, or its first and last `edge` code
 * points when it has more than twice that many. Linear in the text's length at most.
 */
export function boundText(text: string, edge = EDGE_CODE_POINTS): string[] {
  // Fewer UTF-16 units than 2 × edge means fewer code points too.
  if (text.length <= 2 * edge) return [text];
  let head = 0;
  for (let n = 0; n < edge && head < text.length; n++)
    head += isHigh(text.charCodeAt(head)) && isLow(text.charCodeAt(head + 1)) ? 2 : 1;
  let tail = text.length;
  for (let n = 0; n < edge && tail > head; n++)
    tail -= isLow(text.charCodeAt(tail - 1)) && isHigh(text.charCodeAt(tail - 2)) ? 2 : 1;
  if (tail <= head) return [text];
  return [text.slice(0, head), text.slice(tail)];
}

// Only ASCII whitespace: NFKC already maps the Unicode spaces (NBSP, EN SPACE, …) to U+0020.
const WHITESPACE = /[\t\n\v\f\r ]+/g;

/** Step 2 of the contract for one segment. */
export function normalizeSegment(segment: string): string {
  const s = segment.normalize("NFKC").toLowerCase().replace(WHITESPACE, " ");
  const from = s.startsWith(" ") ? 1 : 0;
  const to = s.length > from && s.endsWith(" ") ? s.length - 1 : s.length;
  return ` ${s.slice(from, to)} `;
}

/** Adds one segment's trigram counts to `row` (length D). */
function countTrigrams(segment: string, row: Float32Array): void {
  const dim = row.length;
  const s = normalizeSegment(segment);
  let a = -1;
  let b = -1;
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (isHigh(cp) && i + 1 < s.length && isLow(s.charCodeAt(i + 1))) {
      cp = 0x10000 + ((cp - 0xd800) << 10) + (s.charCodeAt(i + 1) - 0xdc00);
      i++;
    }
    if (a >= 0) {
      const h = hashCodePoint(hashCodePoint(hashCodePoint(FNV_OFFSET, a), b), cp) >>> 0;
      const k = h % dim;
      row[k] = (row[k] ?? 0) + 1;
    }
    a = b;
    b = cp;
  }
}

/** A text, or the segments `boundText` already cut it into. */
export type Segments = string | readonly string[];

/** Writes the features of `text` into `row` (length D, zeroed by the caller). */
export function featurizeInto(text: Segments, row: Float32Array): void {
  for (const segment of typeof text === "string" ? boundText(text) : text) countTrigrams(segment, row);
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += (row[i] ?? 0) ** 2;
  if (sum === 0) return;
  const norm = Math.sqrt(sum);
  for (let i = 0; i < row.length; i++) row[i] = (row[i] ?? 0) / norm;
}

/** The features of one text: a Float32Array of length `dim`. */
export function featurize(text: Segments, dim: number): Float32Array {
  const row = new Float32Array(dim);
  featurizeInto(text, row);
  return row;
}

/** The features of several texts, row-major [texts.length, dim], as the model's input wants. */
export function featurizeBatch(texts: readonly Segments[], dim: number): Float32Array {
  const out = new Float32Array(texts.length * dim);
  texts.forEach((text, i) => featurizeInto(text, out.subarray(i * dim, (i + 1) * dim)));
  return out;
}

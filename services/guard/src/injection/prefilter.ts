// An Aho-Corasick automaton over the rules' words: one table lookup per character finds every
// place any of them occurs, in time linear in the text whatever the number of words.
// Measured before writing it: a V8 alternation of the same words takes ~30–60 ms per MB when
// the text is made of their first letters, and the modern-ahocorasick package ~60 ms per MB
// (it segments graphemes); this table takes a few.
//
// The automaton is a full DFA over the words' own characters (every other character leads
// back to the root), so scanning is a table lookup per character and nothing else. Leetspeak
// digits and signs share their letters' symbols, so the text needs no folded copy.

/** Digits and signs written for letters. */
export const LEET: Readonly<Record<string, string>> = {
  "0": "o",
  "1": "i",
  "3": "e",
  "4": "a",
  "5": "s",
  "7": "t",
  "@": "a",
  $: "s",
};

const LEET_CODES = new Map(Object.entries(LEET).map(([k, v]) => [k.charCodeAt(0), v.charCodeAt(0)]));
/** A word's character as the automaton reads it: leetspeak as its letter, upper case as lower. */
const canonical = (c: number) => {
  const letter = LEET_CODES.get(c) ?? c;
  return letter >= 65 && letter <= 90 ? letter + 32 : letter;
};

export class Prefilter {
  // The tables, read by the injection matcher's loop (detect.ts, `matchView`), which follows the
  // rules' chains as the words arrive, inside the loop rather than through a call per word:
  // per character, `sym = symbols[c]`, then the next state from `asciiNext` (an ASCII symbol:
  // `sym < asciiWidth`) or `otherNext`, and where `hasEnd[state]`, the words of `ends[state]`.
  // The table is split so that ASCII text, the most of what is screened, reads a small one
  // (states × ~45 symbols, a few hundred KB, that stays in the cache) rather than rows of all
  // ~300 symbols (5 MB).
  /** Per UTF-16 code unit: its symbol (0: a character no word has). ASCII symbols come first. */
  readonly symbols = new Uint16Array(0x10000);
  /** Symbols below this are ASCII ones: `asciiNext[state * asciiWidth + symbol]`. */
  readonly asciiWidth: number;
  readonly asciiNext: Uint16Array;
  /** The others: `otherNext[state * otherWidth + symbol - asciiWidth]`. */
  readonly otherWidth: number;
  readonly otherNext: Uint16Array;
  /** Per state: the words (indexes) that end there, its own and its suffixes', longest first. */
  readonly ends: (readonly number[])[];
  /** Per word: its length. */
  readonly lengths: Int32Array;
  /** 1 for states where some word ends: the loop looks at `ends` only there. */
  readonly hasEnd: Uint8Array;
  /** The longest word's length. */
  readonly longest: number;

  constructor(words: readonly string[]) {
    this.longest = Math.max(0, ...words.map((w) => w.length));
    // Symbol 0 is "a character no word has". ASCII characters get the first symbols, so the part
    // of a state's row that ASCII text reads is a few cache lines. Leetspeak digits and signs get
    // their letters' symbols (in the words too: "rot13" is "rotie" to the automaton).
    const chars = new Set<number>();
    for (const w of words) for (let i = 0; i < w.length; i++) chars.add(canonical(w.charCodeAt(i)));
    let symbols = 1;
    const sorted = [...chars].sort((a, b) => a - b);
    for (const c of sorted) this.symbols[c] = symbols++;
    const width = symbols;
    this.asciiWidth = 1 + sorted.filter((c) => c < 128).length;
    this.otherWidth = width - this.asciiWidth;
    for (const [sign, letter] of Object.entries(LEET))
      this.symbols[sign.charCodeAt(0)] = this.symbols[letter.charCodeAt(0)]!;
    // Upper case reads as lower case: ASCII text needs no lower-cased copy.
    for (let c = 65; c <= 90; c++) this.symbols[c] = this.symbols[c + 32]!;
    // The trie.
    const goto: Map<number, number>[] = [new Map<number, number>()];
    const ends: number[][] = [[]];
    this.lengths = Int32Array.from(words, (w) => w.length);
    for (const [index, w] of words.entries()) {
      let s = 0;
      for (let i = 0; i < w.length; i++) {
        const sym = this.symbols[w.charCodeAt(i)]!;
        let t = goto[s]!.get(sym);
        if (t === undefined) {
          t = goto.length;
          goto.push(new Map<number, number>());
          ends.push([]);
          goto[s]!.set(sym, t);
        }
        s = t;
      }
      ends[s]!.push(index);
    }
    // Failure links, breadth first, folded into a full transition table.
    const states = goto.length;
    if (states > 0xffff) throw new Error(`prefilter: ${states} states do not fit 16 bits`);
    const next = new Int32Array(states * width);
    const fail = new Int32Array(states);
    const queue: number[] = [];
    for (const [sym, t] of goto[0]!) {
      next[sym] = t;
      queue.push(t);
    }
    for (let q = 0; q < queue.length; q++) {
      const s = queue[q]!;
      ends[s] = [...ends[s]!, ...ends[fail[s]!]!];
      for (let sym = 0; sym < width; sym++) {
        const t = goto[s]!.get(sym);
        if (t === undefined) {
          next[s * width + sym] = next[fail[s]! * width + sym]!;
        } else {
          fail[t] = next[fail[s]! * width + sym]!;
          next[s * width + sym] = t;
          queue.push(t);
        }
      }
    }
    // Split by symbol: the ASCII columns, and the others.
    this.asciiNext = new Uint16Array(states * this.asciiWidth);
    this.otherNext = new Uint16Array(states * this.otherWidth);
    for (let s = 0; s < states; s++)
      for (let sym = 0; sym < width; sym++) {
        if (sym < this.asciiWidth) this.asciiNext[s * this.asciiWidth + sym] = next[s * width + sym]!;
        else this.otherNext[s * this.otherWidth + sym - this.asciiWidth] = next[s * width + sym]!;
      }
    this.ends = ends;
    this.hasEnd = Uint8Array.from(ends, (e) => (e.length > 0 ? 1 : 0));
  }
}

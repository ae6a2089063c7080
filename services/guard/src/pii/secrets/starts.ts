// Where a secret can start: the first few characters any match of a pattern can begin with, read
// off the pattern itself. The secret detector tries a rule only where a run of token characters
// starts with one of its prefixes ("ghp_" and 36 letters or digits, "AKIA" and a capital, "ey",
// "-----", …), not at every position: most text has none, a regex search over all the rules
// costs 10–20 ms a megabyte of prose, and even one try of one rule at one place ~0.1–0.3 µs.
//
// It reads the JavaScript patterns compile-re2.ts writes (and any pattern of the same subset:
// groups, alternation, classes, escapes, quantifiers, assertions) and is conservative: an
// assertion (\b, a look-around) is taken as always true, so the prefixes it returns cover every
// prefix a match can start with. A construct it does not know throws.

/** Characters as bits: 0–127 each, 128 for "any character beyond ASCII". */
class Chars {
  readonly bits = new Uint32Array(5);
  add(from: number, to = from): this {
    for (let c = Math.min(from, 128); c <= Math.min(to, 128); c++) this.bits[c >> 5]! |= 1 << (c & 31);
    return this;
  }
  addAll(other: Chars): this {
    for (let i = 0; i < 5; i++) this.bits[i]! |= other.bits[i]!;
    return this;
  }
  has(c: number): boolean {
    const k = Math.min(c, 128);
    return (this.bits[k >> 5]! & (1 << (k & 31))) !== 0;
  }
  /** The characters in the set (128 for those beyond ASCII). */
  members(): number[] {
    const out: number[] = [];
    for (let c = 0; c <= 128; c++) if (this.has(c)) out.push(c);
    return out;
  }
  negated(): Chars {
    const out = new Chars();
    for (let i = 0; i < 4; i++) out.bits[i] = ~this.bits[i]!;
    out.bits[4] = 1; // a negated class holds every character beyond ASCII
    return out;
  }
}

const ANY = new Chars().add(0, 128);
const DIGIT = new Chars().add(48, 57);
const WORD = new Chars().add(48, 57).add(65, 90).add(97, 122).add(95);
// \s: ASCII whitespace and the Unicode spaces beyond ASCII.
const SPACE = new Chars().add(9, 13).add(32).add(128);

/** What the escapes of a letter stand for. */
const NAMED: Record<string, Chars> = {
  d: DIGIT,
  D: DIGIT.negated(),
  w: WORD,
  W: WORD.negated(),
  s: SPACE,
  S: ANY, // everything but whitespace: taken as anything
  t: new Chars().add(9),
  n: new Chars().add(10),
  r: new Chars().add(13),
  f: new Chars().add(12),
  v: new Chars().add(11),
};

/** The class an escape stands for (`\d`, `\.`, `\x60`…), from the character after the backslash. */
function escaped(src: string, at: number): { chars: Chars; length: number } {
  const e = src[at + 1]!;
  if (e === "x") return { chars: new Chars().add(parseInt(src.slice(at + 2, at + 4), 16)), length: 4 };
  const chars = NAMED[e] ?? (/[A-Za-z0-9]/.test(e) ? undefined : new Chars().add(e.charCodeAt(0)));
  if (chars === undefined) throw new Error(`starts: unsupported escape \\${e} in ${src}`);
  return { chars, length: 2 };
}

/** A prefix of a match: its first characters' classes, fewer than asked if the match can end there. */
type Path = readonly Chars[];
/**
 * Characters of a prefix looked at: a pattern's first LONG if that makes few prefixes (a literal
 * and a fixed run: "ghp_" and 36 letters or digits, so a near miss costs no try of the pattern),
 * else its first SHORT (enough to tell "AKIA " from "AKIAZ7XQ…", "ghp_" from "ghost" and
 * "http://x" from "https://hooks.slack.com").
 */
const SHORT = 12;
const LONG = 40;
const FEW = 8;

class Reader {
  private at = 0;
  constructor(private readonly src: string) {}

  read(k: number): Path[] {
    const paths = this.alternation(k);
    if (this.at !== this.src.length) throw new Error(`starts: unbalanced ) in ${this.src}`);
    return paths;
  }

  // Each reads its part of the pattern and returns its prefixes up to `need` characters (what is
  // past them does not matter, but is read all the same).

  private alternation(need: number): Path[] {
    const out = this.sequence(need);
    while (this.src[this.at] === "|") {
      this.at++;
      out.push(...this.sequence(need));
    }
    return out;
  }

  private sequence(need: number): Path[] {
    let paths: Path[] = [[]];
    while (this.at < this.src.length && this.src[this.at] !== "|" && this.src[this.at] !== ")") {
      const shortest = Math.min(...paths.map((p) => p.length));
      const rest = Math.max(0, need - shortest);
      const atom = this.atom(rest);
      const [min, max] = this.quantifier();
      if (rest > 0) paths = then(paths, repeat(atom, min, max, rest), need);
    }
    return paths;
  }

  private atom(need: number): Path[] {
    const src = this.src;
    const c = src[this.at]!;
    if (c === "(") {
      const lookaround = /^\(\?<?[=!]/.exec(src.slice(this.at, this.at + 4));
      this.at += lookaround ? lookaround[0].length : src.startsWith("(?:", this.at) ? 3 : 1;
      const inner = this.alternation(need);
      if (src[this.at] !== ")") throw new Error(`starts: missing ) in ${src}`);
      this.at++;
      // An assertion consumes nothing; taken as true, it only widens the result.
      return lookaround ? [[]] : inner;
    }
    if (c === "[") return [[this.charClass()]];
    if (c === "\\") {
      const e = src[this.at + 1];
      if (e === "b" || e === "B") {
        this.at += 2;
        return [[]];
      }
      const { chars, length } = escaped(src, this.at);
      this.at += length;
      return [[chars]];
    }
    this.at++;
    if (c === "^" || c === "$") return [[]];
    if (c === ".") return [[ANY]];
    if ("*+?{}".includes(c)) throw new Error(`starts: unexpected ${c} in ${src}`);
    return [[new Chars().add(c.charCodeAt(0))]];
  }

  private charClass(): Chars {
    const src = this.src;
    this.at++;
    const negated = src[this.at] === "^";
    if (negated) this.at++;
    const chars = new Chars();
    for (let first = true; first || src[this.at] !== "]"; first = false) {
      if (this.at >= src.length) throw new Error(`starts: unterminated class in ${src}`);
      let lo: number;
      if (src[this.at] === "\\") {
        const e = escaped(src, this.at);
        this.at += e.length;
        const single = [...Array(129).keys()].filter((k) => e.chars.has(k));
        if (single.length !== 1) {
          chars.addAll(e.chars);
          continue;
        }
        lo = single[0]!;
      } else lo = src.charCodeAt(this.at++);
      if (src[this.at] === "-" && src[this.at + 1] !== "]") {
        this.at++;
        const hi = src[this.at] === "\\" ? escaped(src, this.at) : undefined;
        const end = hi ? [...Array(129).keys()].find((k) => hi.chars.has(k))! : src.charCodeAt(this.at);
        this.at += hi ? hi.length : 1;
        chars.add(lo, end);
      } else chars.add(lo);
    }
    this.at++;
    return negated ? chars.negated() : chars;
  }

  private quantifier(): [number, number] {
    const src = this.src;
    let q: [number, number] = [1, 1];
    const c = src[this.at];
    const counted = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(this.at, this.at + 16));
    if (c === "?") q = [0, 1];
    else if (c === "*") q = [0, Infinity];
    else if (c === "+") q = [1, Infinity];
    else if (counted) {
      const min = Number(counted[1]);
      q = [min, counted[2] === undefined ? min : counted[3] === "" ? Infinity : Number(counted[3])];
    } else return q;
    this.at += counted ? counted[0].length : 1;
    if (src[this.at] === "?") this.at++;
    return q;
  }
}

/** A number per distinct set of characters, so a path has a short key. */
const ids = new Map<Chars, number>();
const idOf = (c: Chars): number => {
  let id = ids.get(c);
  if (id === undefined) ids.set(c, (id = ids.size));
  return id;
};

/** The paths, each once (sets of characters compared by identity: enough to keep this small). */
function distinct(paths: Path[]): Path[] {
  const seen = new Map<string, Path>();
  for (const p of paths) seen.set(p.map(idOf).join(","), p);
  return [...seen.values()];
}

/** Thrown when a pattern has more prefixes of the length asked than are worth checking. */
const TOO_MANY = new Error("starts: too many prefixes");
/** The most prefixes a step may make while reading: a few for the long ones, more for the short. */
let maxPaths = 4096;

/** Every prefix of a path of `paths` followed by one of `next`, cut at `need` characters. */
function then(paths: Path[], next: Path[], need: number): Path[] {
  const out: Path[] = [];
  for (const p of paths) {
    if (p.length >= need) out.push(p);
    else for (const q of next) out.push([...p, ...q].slice(0, need));
    if (out.length > maxPaths) throw TOO_MANY;
  }
  return distinct(out);
}

/** The prefixes of `atom` repeated `min` to `max` times (past `need` repetitions nothing changes). */
function repeat(atom: Path[], min: number, max: number, need: number): Path[] {
  let paths: Path[] = [[]];
  for (let i = 0; i < Math.min(min, need); i++) paths = then(paths, atom, need);
  const out = [...paths];
  for (let i = Math.min(min, need); i < Math.min(max, need); i++) {
    paths = then(paths, atom, need);
    out.push(...paths);
  }
  return distinct(out);
}

/**
 * The places a match of one of several patterns can start, by their first few characters: each
 * pattern's prefixes, by their first two characters. A prefix shorter than asked is one after
 * which a match can end.
 */
export class Starts {
  /** Per pair of first characters (ASCII `a`, then `b`, 128 for beyond ASCII or none): the prefixes. */
  private readonly byPair: Prefix[][];
  /** The prefixes whose first character may be beyond ASCII. */
  private readonly beyondAscii: Prefix[] = [];
  /** `pairs[a * 129 + b]`: 1 when a match may start with ASCII `a`, then `b` (128: beyond ASCII or none). */
  readonly pairs = new Uint8Array(128 * 129);
  /** 1 for an ASCII character a match may start with. */
  readonly first = new Uint8Array(128);
  /** Whether a match may start with a character beyond ASCII. */
  readonly beyond: boolean;

  constructor(sources: readonly string[]) {
    const none: Prefix[] = [];
    this.byPair = Array.from({ length: 128 * 129 }, () => none);
    sources.forEach((source, pattern) => {
      let paths: Path[];
      try {
        maxPaths = 4 * FEW;
        paths = new Reader(source).read(LONG);
        if (paths.length > FEW) throw TOO_MANY;
      } catch (e) {
        if (e !== TOO_MANY) throw e;
        maxPaths = 4096;
        paths = new Reader(source).read(SHORT);
      }
      for (const path of paths) {
        const prefix = prefixOf(path, pattern);
        const [head = ANY, second = ANY] = path;
        if (head.has(128)) this.beyondAscii.push(prefix);
        const seconds = second.members();
        for (const a of head.members()) {
          if (a === 128) continue;
          for (const b of seconds) {
            const at = a * 129 + b;
            this.pairs[at] = 1;
            this.first[a] = 1;
            if (this.byPair[at] === none) this.byPair[at] = [];
            this.byPair[at]!.push(prefix);
          }
        }
      }
    });
    this.beyond = this.beyondAscii.length > 0;
  }

  /** A regex class of the characters a match may start with. */
  firstClass(): string {
    const chars: string[] = [];
    for (let a = 0; a < 128; a++)
      if (this.first[a] === 1) chars.push(`\\x${a.toString(16).padStart(2, "0")}`);
    if (this.beyond) chars.push("\\u0080-\\uffff");
    return `[${chars.join("")}]`;
  }

  /**
   * The patterns (their indexes, ascending, into `out`) whose prefix the text has at `at`: the
   * only ones that can match there. Returns how many.
   */
  candidates(text: string, at: number, out: Int32Array): number {
    const a = text.charCodeAt(at);
    const b = at + 1 < text.length ? Math.min(text.charCodeAt(at + 1), 128) : 128;
    const prefixes = a < 128 ? this.byPair[a * 129 + b]! : this.beyondAscii;
    let n = 0;
    for (let p = 0; p < prefixes.length; p++) {
      const { length, table, pattern } = prefixes[p]!;
      if (at + length > text.length || (n > 0 && out[n - 1] === pattern)) continue;
      let k = 1;
      while (k < length && table[k * 129 + Math.min(text.charCodeAt(at + k), 128)] === 1) k++;
      if (k === length) out[n++] = pattern;
    }
    return n;
  }
}

/** A prefix as one lookup table: `table[k * 129 + c]` is 1 when its k-th character may be c. */
interface Prefix {
  length: number;
  table: Uint8Array;
  /** The pattern it is a prefix of. */
  pattern: number;
}

function prefixOf(path: Path, pattern: number): Prefix {
  const table = new Uint8Array(Math.max(1, path.length) * 129);
  path.forEach((chars, k) => {
    for (const c of chars.members()) table[k * 129 + c] = 1;
  });
  return { length: path.length, table, pattern };
}

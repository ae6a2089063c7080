// Turns a gitleaks pattern (Go RE2 syntax, linear in Go by construction) into a JavaScript one
// that is linear under a backtracking engine too: every unbounded repetition gets an upper bound
// (`cap`), so a start position costs a bounded number of steps. Also: a named group becomes a
// plain one (patterns are joined into one, where names could clash); `(?i)`, `(?i:…)` and
// `(?-i:…)`, which JavaScript lacks, become letters of both cases or of one; `(?s:.)` any
// character; `[[:alnum:]]`-style classes their ranges. It counts the capture groups and computes
// the longest match, for the detector's `maxSpan`. Anything else unusual throws, so a refresh
// that brings a pattern this does not understand fails in the spec, not at run time.

export interface Compiled {
  /** Flag-free JavaScript source (case-insensitivity is spelled out in the letters). */
  source: string;
  /** Capture groups in the source. */
  groups: number;
  /** The longest text the pattern can match. */
  maxLength: number;
}

interface Part {
  source: string;
  max: number;
}

/** Flags in force: RE2's `i` and `s`, set by `(?i)` to the end of the group or by `(?i:…)`. */
interface Mode {
  fold: boolean;
  dotAll: boolean;
}

const POSIX: Record<string, string> = {
  alnum: "A-Za-z0-9",
  alpha: "A-Za-z",
  digit: "0-9",
  lower: "a-z",
  upper: "A-Z",
  xdigit: "0-9A-Fa-f",
  space: "\\s",
  word: "\\w",
};

// RE2 group opener → JavaScript opener, and the flags it sets inside the group.
const OPENERS: readonly [string, string, Partial<Mode>][] = [
  ["(?:", "(?:", {}],
  ["(?i:", "(?:", { fold: true }],
  ["(?-i:", "(?:", { fold: false }],
  ["(?s:", "(?:", { dotAll: true }],
  ["(?is:", "(?:", { fold: true, dotAll: true }],
  ["(?=", "(?=", {}],
  ["(?!", "(?!", {}],
  ["(?<=", "(?<=", {}],
  ["(?<!", "(?<!", {}],
];

const isLetter = (c: string): boolean => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
const swapCase = (c: string): string => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase());
const HEX_ESCAPE = /^\\x[0-9A-Fa-f]{2}/;

class Re2ToJs {
  private at = 0;
  private mode: Mode = { fold: false, dotAll: false };
  private groups = 0;

  constructor(
    private readonly src: string,
    private readonly cap: number,
  ) {}

  compile(): Compiled {
    const { source, max } = this.alternation();
    if (this.at !== this.src.length) throw this.error("unbalanced )");
    return { source, groups: this.groups, maxLength: max };
  }

  private error(what: string): Error {
    return new Error(`${what} at ${this.at} in ${this.src}`);
  }

  private peek(s: string): boolean {
    return this.src.startsWith(s, this.at);
  }

  /** Alternatives up to a closing parenthesis or the end; a `(?i)` lasts to the group's end. */
  private alternation(): Part {
    const outer = { ...this.mode };
    const parts: string[] = [];
    let max = 0;
    for (;;) {
      const seq = this.sequence();
      parts.push(seq.source);
      max = Math.max(max, seq.max);
      if (!this.peek("|")) break;
      this.at++;
    }
    this.mode = outer;
    return { source: parts.join("|"), max };
  }

  private sequence(): Part {
    let source = "";
    let max = 0;
    while (this.at < this.src.length && !this.peek("|") && !this.peek(")")) {
      const flags = /^\(\?(i|s|is)\)/.exec(this.src.slice(this.at, this.at + 5));
      if (flags) {
        if (flags[1]!.includes("i")) this.mode.fold = true;
        if (flags[1]!.includes("s")) this.mode.dotAll = true;
        this.at += flags[0].length;
        continue;
      }
      const atom = this.atom();
      const q = this.quantifier();
      source += atom.source + q.source;
      max += atom.max * q.times;
    }
    return { source, max };
  }

  private atom(): Part {
    const c = this.src[this.at]!;
    if (c === "(") return this.group();
    if (c === "[") return { source: this.charClass(), max: 1 };
    if (c === "\\") return this.escape();
    this.at++;
    if (c === "^" || c === "$") return { source: c, max: 0 };
    if (c === "{" || c === "}") return { source: `\\${c}`, max: 1 };
    if (c === ".") return { source: this.mode.dotAll ? "[\\s\\S]" : ".", max: 1 };
    return { source: this.mode.fold && isLetter(c) ? `[${c}${swapCase(c)}]` : c, max: 1 };
  }

  private group(): Part {
    const outer = { ...this.mode };
    let open = "(";
    const named = /^\(\?P?<\w+>/.exec(this.src.slice(this.at, this.at + 40));
    if (named) {
      this.at += named[0].length;
      this.groups++;
    } else if (this.peek("(?")) {
      const opener = OPENERS.find(([re2]) => this.peek(re2));
      if (!opener) throw this.error("unsupported group");
      open = opener[1];
      this.mode = { ...this.mode, ...opener[2] };
      this.at += opener[0].length;
    } else {
      this.at++;
      this.groups++;
    }
    const inner = this.alternation();
    this.mode = outer;
    if (!this.peek(")")) throw this.error("missing )");
    this.at++;
    const lookaround = open !== "(" && open !== "(?:";
    return { source: `${open}${inner.source})`, max: lookaround ? 0 : inner.max };
  }

  private escape(): Part {
    const hex = HEX_ESCAPE.exec(this.src.slice(this.at, this.at + 4));
    if (hex) {
      this.at += 4;
      return { source: hex[0], max: 1 };
    }
    const e = this.src.slice(this.at, this.at + 2);
    this.at += 2;
    if (e === "\\b" || e === "\\B") return { source: e, max: 0 };
    if (e === "\\A") return { source: "^", max: 0 };
    if (e === "\\z") return { source: "$", max: 0 };
    if (isLetter(e[1]!) && !"dDwWsSnrtf".includes(e[1]!)) throw this.error(`unsupported escape ${e}`);
    return { source: e, max: 1 };
  }

  /** A bracket class, with POSIX names expanded and letters of both cases when folding. */
  private charClass(): string {
    this.at++;
    let out = "";
    const negated = this.peek("^");
    if (negated) this.at++;
    const extra: string[] = [];
    for (let first = true; first || !this.peek("]"); first = false) {
      if (this.at >= this.src.length) throw this.error("unterminated class");
      const posix = /^\[:(\w+):\]/.exec(this.src.slice(this.at, this.at + 12));
      if (posix) {
        const ranges = POSIX[posix[1]!];
        if (ranges === undefined) throw this.error(`unknown class ${posix[0]}`);
        out += ranges;
        this.at += posix[0].length;
        continue;
      }
      let item = this.src[this.at]!;
      if (item === "\\")
        item =
          HEX_ESCAPE.exec(this.src.slice(this.at, this.at + 4))?.[0] ?? this.src.slice(this.at, this.at + 2);
      this.at += item.length;
      if (this.peek("-") && this.src[this.at + 1] !== "]" && item.length === 1) {
        const end = this.src[this.at + 1]!;
        this.at += 2;
        out += `${item}-${end}`;
        if (this.mode.fold && isLetter(item) && isLetter(end))
          extra.push(`${swapCase(item)}-${swapCase(end)}`);
        continue;
      }
      out += item === "[" ? "\\[" : item;
      if (this.mode.fold && isLetter(item)) extra.push(swapCase(item));
    }
    this.at++;
    // The other cases first: after the items, a trailing "-" would make them a range.
    return `[${negated ? "^" : ""}${extra.join("")}${out}]`;
  }

  /** The quantifier after an atom, if any, unbounded ones bounded by the cap; its upper bound. */
  private quantifier(): { source: string; times: number } {
    let source: string;
    let times: number;
    const c = this.src[this.at];
    const counted = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.at, this.at + 12));
    if (c === "*" || c === "+") {
      source = `{${c === "*" ? 0 : 1},${this.cap}}`;
      times = this.cap;
      this.at++;
    } else if (c === "?") {
      source = "?";
      times = 1;
      this.at++;
    } else if (counted) {
      const min = Number(counted[1]);
      if (counted[2] === undefined) times = min;
      else times = counted[3] === "" ? Math.max(min, this.cap) : Number(counted[3]);
      source = counted[2] === undefined ? `{${min}}` : `{${min},${times}}`;
      this.at += counted[0].length;
    } else return { source: "", times: 1 };
    if (this.peek("?")) {
      source += "?";
      this.at++;
    }
    return { source, times };
  }
}

/** A linear JavaScript form of the RE2 pattern, every unbounded repetition bounded by `cap`. */
export function compileRe2(pattern: string, cap: number): Compiled {
  return new Re2ToJs(pattern, cap).compile();
}

// Secrets: the gitleaks rules the guard uses (rules.ts), compiled to linear patterns. A secret
// may start only where a run of token characters starts, so "glpat-glpat-glpat-…" is one failing
// candidate, not one per prefix that each scans 300 characters on; and only where that run
// starts as some rule's matches can (starts.ts: "ghp_" and 36 letters or digits, "AKIA" and a
// capital, "ey", "-----", …), and there only those rules are tried, each alone (sticky), in
// order: what a search of all the rules joined into one pattern finds (pii.spec.ts holds it to
// that), without that search over every position, which cost 10–20 ms a megabyte of prose. A
// match is reported when its secret passes gitleaks' checks (entropy above the rule's, not
// allowlisted), the rule's own check, and is not a hex digest or UUID (a git SHA is never a
// secret).
import type { Detector } from "../../scan.js";
import { remembered } from "../remembered.js";
import { report, type PiiSpan } from "../span.js";
import { compileRe2, type Compiled } from "./compile-re2.js";
import {
  GITLEAKS_ALLOWLIST,
  GITLEAKS_RULES,
  type GitleaksAllowlist,
  type GitleaksRule,
} from "./gitleaks-rules.js";
import { SECRET_RULES, type SecretRule } from "./rules.js";
import { Starts } from "./starts.js";

const DEFAULT_CAP = 256;
/**
 * Allowlists are for placeholders ("${TOKEN}", "{{ key }}", "…EXAMPLE"): their patterns see a
 * secret (or line) of at most this many characters, and are bounded by it. A longer secret is
 * not a placeholder. Some of gitleaks' allowlist patterns are polynomial (recheck says so):
 * on this little text, they stay fast (pii.spec.ts times them on recheck's own attacks).
 */
export const ALLOWLIST_MAX = 128;
/** Characters of the line on each side of a match that a `line` allowlist sees. */
const LINE_CHARS = 64;
/** Where a secret may start: not inside a run of token characters (dots join them too). */
export const RUN_START = "(?<![A-Za-z0-9_.-])";

interface Allowlist {
  target: "secret" | "match" | "line";
  all: boolean;
  regexes: RegExp[];
  stopwords: string[];
  /** Path conditions, which a prompt never meets. */
  paths: number;
}

/** One gitleaks rule as compiled here. */
export interface CompiledSecretRule extends Compiled {
  rule: string;
  gitleaksId: string;
  secretGroup?: number;
  entropy?: number;
  allowlists: Allowlist[];
  /** Whether group 1 is where the pattern starts (so it starts the match too). */
  groupOneFirst: boolean;
  /** The rule alone, sticky: tried where a secret may start. */
  sticky: RegExp;
  /** The same with group offsets (they cost on every match): run again on a match when needed. */
  withOffsets: RegExp;
  /** Whether an allowlist looks at the line around a match (so a verdict cannot be reused). */
  byLine: boolean;
  validate?: (secret: string) => boolean;
}

function compileAllowlist(a: GitleaksAllowlist): Allowlist {
  return {
    target: a.regexTarget ?? "secret",
    all: a.condition === "AND",
    regexes: a.regexes.map((re) => new RegExp(compileRe2(re, ALLOWLIST_MAX).source)),
    stopwords: a.stopwords,
    paths: a.paths.length,
  };
}

/** The upstream pattern with the rule's tweaks applied; throws if one no longer applies. */
export function tweakedPattern(upstream: GitleaksRule, rule: SecretRule): string {
  let pattern = upstream.regex;
  for (const [from, to] of rule.tweaks ?? []) {
    if (!pattern.includes(from)) throw new Error(`${upstream.id}: tweak no longer applies: ${from}`);
    pattern = pattern.replace(from, to);
  }
  return pattern;
}

function compileRules(): CompiledSecretRule[] {
  const out: CompiledSecretRule[] = [];
  for (const rule of SECRET_RULES) {
    for (const id of rule.gitleaks) {
      const upstream = GITLEAKS_RULES.find((r) => r.id === id);
      if (upstream === undefined) throw new Error(`gitleaks has no rule ${id} (${rule.rule})`);
      const compiled = compileRe2(tweakedPattern(upstream, rule), rule.cap ?? DEFAULT_CAP);
      out.push({
        ...compiled,
        groupOneFirst: /^(?:\\b)?\((?!\?)/.test(compiled.source),
        sticky: new RegExp(compiled.source, "y"),
        withOffsets: new RegExp(compiled.source, "dy"),
        rule: rule.rule,
        gitleaksId: id,
        ...(upstream.secretGroup !== undefined && { secretGroup: upstream.secretGroup }),
        ...(upstream.entropy !== undefined && { entropy: upstream.entropy }),
        allowlists: upstream.allowlists.map(compileAllowlist),
        byLine: upstream.allowlists.some((a) => a.regexTarget === "line"),
        ...(rule.validate && { validate: rule.validate }),
      });
    }
  }
  return out;
}

export const COMPILED_SECRET_RULES: readonly CompiledSecretRule[] = compileRules();
const GLOBAL_ALLOWLIST = compileAllowlist(GITLEAKS_ALLOWLIST);

/** The prefixes each rule's secrets can start with. */
const STARTS = new Starts(COMPILED_SECRET_RULES.map((r) => r.source));

// Token characters (`A-Za-z0-9_.-`): a secret starts only where a run of them starts.
const TOKEN = new Uint8Array(128);
for (let c = 0; c < 128; c++) TOKEN[c] = /[A-Za-z0-9_.-]/.test(String.fromCharCode(c)) ? 1 : 0;

/** A rule's match (with group offsets), and the rule. */
export interface SecretMatch {
  rule: CompiledSecretRule;
  match: RegExpExecArray;
}

const candidates = new Int32Array(COMPILED_SECRET_RULES.length);

/** A character a secret may start with, where a run of token characters starts. */
const FIRST_AT_RUN_START = new RegExp(`${RUN_START}${STARTS.firstClass()}`, "g");

/**
 * How one pass looks for the places a secret may start: natively (a search for a possible first
 * character at a run start, fast over digits, punctuation and long runs, where there are few)
 * until they come every few characters (prose, "a@a@…"), then by a loop over the characters
 * (a native search per place would cost more than looking at each character).
 */
interface Search {
  natively: boolean;
  found: number;
  from: number;
}

/** The character after `i`, as the pairs read it: 128 for one beyond ASCII or none. */
const secondOf = (text: string, i: number): number =>
  i + 1 < text.length ? Math.min(text.charCodeAt(i + 1), 128) : 128;

/**
 * The next place at or after `at` where a run of token characters starts with a pair of
 * characters a secret may start with, or -1.
 */
function nextPlace(text: string, at: number, stop: number, search: Search): number {
  const { first, pairs, beyond } = STARTS;
  while (search.natively) {
    // test(), not exec(): no match to allocate; the match is one character, before lastIndex.
    FIRST_AT_RUN_START.lastIndex = at;
    if (!FIRST_AT_RUN_START.test(text)) return -1;
    const i = FIRST_AT_RUN_START.lastIndex - 1;
    if (i >= stop) return -1;
    search.found++;
    if (search.found > 8 && i - search.from < 64 * search.found) search.natively = false;
    const c = text.charCodeAt(i);
    if (c >= 128 ? beyond : pairs[c * 129 + secondOf(text, i)] === 1) return i;
    at = i + 1;
  }
  let previous = at > 0 ? text.charCodeAt(at - 1) : 32;
  for (let i = at; i < stop; i++) {
    const c = text.charCodeAt(i);
    const runStart = previous >= 128 || TOKEN[previous] === 0;
    previous = c;
    if (!runStart) continue;
    if (c >= 128 ? beyond : first[c] === 1 && pairs[c * 129 + secondOf(text, i)] === 1) return i;
  }
  return -1;
}

/**
 * The first match at or after `from` that starts before `until`, or null: what a global search
 * of all the rules as one pattern would find (the first rule, in order, that matches at the
 * first place any does), trying only the places a secret can start and there only the rules
 * whose prefix is there.
 */
function nextSecret(text: string, from: number, until: number, search: Search): SecretMatch | null {
  const stop = Math.min(until, text.length);
  for (let i = nextPlace(text, from, stop, search); i >= 0; i = nextPlace(text, i + 1, stop, search)) {
    const n = STARTS.candidates(text, i, candidates);
    for (let k = 0; k < n; k++) {
      const rule = COMPILED_SECRET_RULES[candidates[k]!]!;
      rule.sticky.lastIndex = i;
      const match = rule.sticky.exec(text);
      if (match !== null) return { rule, match };
    }
  }
  return null;
}

/**
 * The rules' matches one pass from `from` consumes, up to the first that starts at or after
 * `until`, in order: what the detector then checks.
 */
export function secretMatches(text: string, from: number, until = text.length): SecretMatch[] {
  const out: SecretMatch[] = [];
  const search: Search = { natively: true, found: 0, from };
  let next = from;
  for (let m = nextSecret(text, from, until, search); m !== null; m = nextSecret(text, next, until, search)) {
    out.push(m);
    next = m.match.index + Math.max(1, m.match[0].length);
  }
  return out;
}

/**
 * Every allowlist pattern the rules use, for the linear-time checks. These never see the
 * prompt: only one matched secret (or its line, ≤ 1 KB), whose length the rule bounds.
 */
export const SECRET_ALLOWLIST_PATTERNS: readonly RegExp[] = [
  ...GLOBAL_ALLOWLIST.regexes,
  ...COMPILED_SECRET_RULES.flatMap((r) => r.allowlists.flatMap((a) => a.regexes)),
];

/** Shannon entropy of the string in bits per character, as gitleaks computes it. */
export function shannonEntropy(s: string): number {
  // Secrets are ASCII: count in an array; anything else in a map.
  const ascii = new Uint32Array(128);
  const other = new Map<string, number>();
  let length = 0;
  for (const c of s) {
    const code = c.charCodeAt(0);
    if (code < 128) ascii[code]!++;
    else other.set(c, (other.get(c) ?? 0) + 1);
    length++;
  }
  let entropy = 0;
  for (const n of [...ascii.filter((n) => n > 0), ...other.values()])
    entropy -= (n / length) * Math.log2(n / length);
  return entropy;
}

/** Whether the token is only hex digits (a digest, a git SHA) or a UUID. */
export function hexOrUuid(token: string): boolean {
  let dashes = 0;
  for (const c of token.toLowerCase()) {
    if (c === "-") dashes++;
    else if (!((c >= "0" && c <= "9") || (c >= "a" && c <= "f"))) return false;
  }
  return dashes === 0 || (dashes === 4 && token.length === 36);
}

function allowed(a: Allowlist, secret: string, match: string, line: () => string): boolean {
  const target = a.target === "secret" ? secret : a.target === "match" ? match : line();
  const lower = secret.toLowerCase();
  const checks = [
    a.regexes.length > 0
      ? target.length <= ALLOWLIST_MAX && a.regexes.some((re) => re.test(target))
      : undefined,
    a.stopwords.length > 0 ? a.stopwords.some((w) => lower.includes(w)) : undefined,
    a.paths > 0 ? false : undefined,
  ].filter((c) => c !== undefined);
  return checks.length > 0 && (a.all ? checks.every(Boolean) : checks.some(Boolean));
}

/** The secret of a rule's match: the rule's secret group, else its first non-empty group, else all. */
function secretOf(r: CompiledSecretRule, text: string, m: RegExpExecArray): { start: number; end: number } {
  const whole = { start: m.index, end: m.index + m[0].length };
  if (r.groups === 0) return whole;
  // Most rules are "(secret)" or "\\b(secret)" then a delimiter: the group starts the match.
  const first = m[1];
  if (r.secretGroup === undefined && r.groupOneFirst && first)
    return { start: m.index, end: m.index + first.length };
  r.withOffsets.lastIndex = m.index;
  const own = r.withOffsets.exec(text);
  const groups =
    r.secretGroup !== undefined ? [r.secretGroup] : Array.from({ length: r.groups }, (_, i) => i + 1);
  for (const g of groups) {
    const at = own?.indices?.[g];
    if (at && at[1] > at[0]) return { start: at[0], end: at[1] };
  }
  return whole;
}

export const SECRET_DETECTOR: Detector = {
  kind: "secret",
  maxSpan: Math.max(...COMPILED_SECRET_RULES.map((r) => r.maxLength)),
  find(text, from, until = text.length) {
    const spans: PiiSpan[] = [];
    // A text that repeats a secret has it checked once (a window's worth, no more): the secret's
    // offsets in the match if it passes, else null.
    const verdicts = new Map<string, { start: number; end: number } | null>();
    let next = from;
    for (const { rule: r, match: m } of secretMatches(text, from, until)) {
      next = m.index + Math.max(1, m[0].length);
      const key = `${r.gitleaksId} ${m[0]}`;
      const judge = () => {
        const at = secretOf(r, text, m);
        return passes(r, text.slice(at.start, at.end), m)
          ? { start: at.start - m.index, end: at.end - m.index }
          : null;
      };
      const verdict = r.byLine ? judge() : remembered(verdicts, key, judge);
      if (verdict) report(spans, "secret", r.rule, m.index + verdict.start, m.index + verdict.end, 0.95);
    }
    return { spans, next };

    function passes(r: CompiledSecretRule, secret: string, m: RegExpExecArray): boolean {
      if (r.entropy !== undefined && shannonEntropy(secret) <= r.entropy) return false;
      if (hexOrUuid(secret) || (r.validate && !r.validate(secret))) return false;
      const line = () => {
        const lineStart = text.lastIndexOf("\n", m.index) + 1;
        const lineEnd = text.indexOf("\n", m.index + m[0].length);
        return text.slice(
          Math.max(lineStart, m.index - LINE_CHARS),
          Math.min(lineEnd < 0 ? text.length : lineEnd, m.index + m[0].length + LINE_CHARS),
        );
      };
      return ![GLOBAL_ALLOWLIST, ...r.allowlists].some((a) => allowed(a, secret, m[0], line));
    }
  },
};

// The fast prompt-injection layer: normalise the text (normalize/), find where any rule's first
// words occur with one prefilter pass, try only the rules that can start there, and score what
// matched. The same on the leetspeak-folded view, and on what base64, hex, percent-encoding,
// HTML entities or ROT13 hide (depth 2, bounded). A finding's span is in the original text.
//
// Scores: a finding has its rule's weight; the text's score is the highest, raised by 0.15 for
// each further family that also matched and for text that was hidden (invisible characters,
// look-alike letters, leetspeak, spacing, encodings). The policy compares the score with the
// channel's threshold: user text is direct injection, tool results and documents indirect.
import type { Detector, Found, Span } from "../scan.js";
import { MAX_RUN, decodeRuns } from "../normalize/decode.js";
import { normalize, originalOffset, type View } from "../normalize/normalize.js";
import { AUTOMATON, CLASS_BIT, RULES, WORD_INFO, type Family, type Rule } from "./rules.js";

export interface InjectionSpan extends Span {
  kind: "prompt_injection";
  family: Family;
  score: number;
}

const BOOST = 0.15;
/** How near a negation must be to the first word to negate it ("vergiss nicht", "don't forget"). */
const NEGATION_REACH = 12;
/** Chains in progress kept per rule and position: bounded, so a flood of first words stays linear. */
const MAX_PENDING = 16;

/** The longest a chain reaches past its first word: its gaps and words. */
const CHAIN_REACH = Math.max(...RULES.map((r) => r.gaps.reduce((a, b) => a + b, 0))) + 3 * 40;
const MAX_DEPTH = 2;

const LEET_IN_WORD = /[a-z][013457@$]|[013457@$][a-z]/i;
const OWN = CLASS_BIT.own;
const NEGATION = CLASS_BIT.negation;
const isLetter = (c: number) => ((c | 32) >= 97 && (c | 32) <= 122) || (c >= 0xc0 && c <= 0x24f);

/** Per word of the automaton: where each rule can go on when it occurs (rule, position in its chain). */
const WORD_STEPS: readonly (readonly [Rule, number][])[] = WORD_INFO.map((word) => {
  const steps: [Rule, number][] = [];
  for (const r of RULES) r.chain.forEach((c, k) => (word.classes & CLASS_BIT[c]) !== 0 && steps.push([r, k]));
  // Later chain positions first: a word never continues a chain it has just started.
  return steps.sort((x, y) => y[1] - x[1]);
});

/**
 * Chains in progress at one position of one rule: a ring of the last MAX_PENDING, in typed
 * arrays (the scan adds one per first word, so it must not allocate).
 */
class Pending {
  readonly start = new Int32Array(MAX_PENDING);
  readonly end = new Int32Array(MAX_PENDING);
  readonly firstEnd = new Int32Array(MAX_PENDING);
  /** Bit 1: negated before; bit 2: went on already. */
  readonly flags = new Uint8Array(MAX_PENDING);
  size = 0;
  next = 0;
  push(start: number, end: number, firstEnd: number, negated: boolean): void {
    const i = this.next;
    this.start[i] = start;
    this.end[i] = end;
    this.firstEnd[i] = firstEnd;
    this.flags[i] = negated ? 1 : 0;
    this.next = (i + 1) % MAX_PENDING;
    if (this.size < MAX_PENDING) this.size++;
  }
}

/** Is there a sentence's end in [from, to) (at most a chain's gap long)? */
function endsSentence(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 || c === 33 || c === 63 || c === 10 || c === 0x3002 || c === 0xff01 || c === 0xff1f)
      return true;
  }
  return false;
}

/** Does `at` start a line, after up to 8 spaces or tabs? */
function startsLine(text: string, at: number): boolean {
  for (let i = at - 1, n = 0; n <= 8; i--, n++) {
    if (i < 0 || text.charCodeAt(i) === 10) return true;
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return false;
}

/** Matches of every rule in a view, for words starting in [from, until) (view offsets). */
function matchView(
  view: View,
  from: number,
  until: number,
  hidden: boolean,
  wordEdges = true,
): InjectionSpan[] {
  const text = view.text;
  const out: InjectionSpan[] = [];
  // Per rule, per chain position: the stretches that matched the chain up to there and may
  // still go on — every one, not only the latest, so a window finds what one pass finds; at
  // most MAX_PENDING (the oldest go first). Each goes on at most once: one finding per first word.
  const progress = new Map<Rule, Pending[]>();
  let lastOwn = -1;
  let lastNegationStart = -1;
  let lastNegationEnd = -1;
  // Words past `until` may still end a chain that starts before it.
  AUTOMATON.scan(text, from, Math.min(text.length, until + CHAIN_REACH), (w, start, end) => {
    const word = WORD_INFO[w]!;
    if (wordEdges && word.letterStart && isLetter(text.charCodeAt(start - 1))) return;
    if (wordEdges && word.letterEnd && isLetter(text.charCodeAt(end))) return;
    if ((word.classes & OWN) !== 0) lastOwn = start;
    if ((word.classes & NEGATION) !== 0) [lastNegationStart, lastNegationEnd] = [start, end];
    for (const [rule, k] of WORD_STEPS[w]!) {
      const last = k === rule.chain.length - 1;
      if (k === 0) {
        if (start >= until) continue;
        const negated =
          lastNegationEnd >= 0 && lastNegationEnd <= start && lastNegationEnd >= start - NEGATION_REACH;
        if (last) emit(rule, start, end, end, negated);
        else pending(rule, 0).push(start, end, end, negated);
        continue;
      }
      const before = progress.get(rule)?.[k - 1];
      if (before === undefined) continue;
      const gap = rule.gaps[k - 1]!;
      for (let i = 0; i < before.size; i++) {
        const bEnd = before.end[i]!;
        if ((before.flags[i]! & 2) !== 0 || bEnd > start || start - bEnd > gap) continue;
        if (endsSentence(text, bEnd, start)) continue;
        before.flags[i]! |= 2;
        const negated = (before.flags[i]! & 1) !== 0;
        if (last) emit(rule, before.start[i]!, end, before.firstEnd[i]!, negated);
        else pending(rule, k).push(before.start[i]!, end, before.firstEnd[i]!, negated);
      }
    }
  });
  return out;

  function pending(rule: Rule, k: number): Pending {
    let p = progress.get(rule);
    if (p === undefined) progress.set(rule, (p = []));
    return (p[k] ??= new Pending());
  }

  function emit(rule: Rule, from: number, to: number, firstEnd: number, negatedBefore: boolean): void {
    if (rule.lineStart && !startsLine(text, from)) return;
    if (rule.then !== undefined) {
      rule.then.lastIndex = to;
      if (!rule.then.test(text)) return;
      to = rule.then.lastIndex;
    }
    const own = rule.ownWeight !== undefined && lastOwn > from && lastOwn < to;
    const negated =
      rule.negatedWeight !== undefined &&
      (negatedBefore || (lastNegationStart >= firstEnd && lastNegationStart <= firstEnd + NEGATION_REACH));
    // Leetspeak is hiding too ("1gn0r3"): the automaton read the digits as letters.
    const leet = LEET_IN_WORD.test(text.slice(from, to));
    const start = originalOffset(view, from);
    const end = originalOffset(view, to);
    // In the collapsed view, only what collapsing made readable: the rest the plain view has.
    if (!wordEdges && end - start === to - from) return;
    out.push({
      kind: "prompt_injection",
      rule: rule.id,
      family: rule.family,
      score: Math.min(
        1,
        (negated ? rule.negatedWeight! : own ? rule.ownWeight! : rule.weight) + (hidden || leet ? BOOST : 0),
      ),
      start,
      end,
    });
  }
}

/** Injection findings in `text` (offsets in it) starting in [from, until). */
export function findInjections(text: string, from = 0, until = text.length, depth = 0): InjectionSpan[] {
  const n = normalize(text);
  const hidden = n.flags.size > 0;
  // Normalising keeps offsets ordered: the view's range is where the original range maps.
  const viewRange = (v: View): [number, number] => {
    if (v.map === undefined) return [from, until];
    let a = 0;
    while (a < v.map.length - 1 && v.map[a]! < from) a++;
    let b = a;
    while (b < v.map.length - 1 && v.map[b]! < until) b++;
    return [a, b];
  };
  const found = matchView(n.plain, ...viewRange(n.plain), hidden);
  if (n.folded !== undefined) {
    // Collapsing "p r e v i o u s i n s t r u c t i o n s" loses the space between words too:
    // in that view words need not stand apart.
    found.push(...matchView(n.folded, ...viewRange(n.folded), true, false));
  }
  if (depth < MAX_DEPTH) {
    for (const d of decodeRuns(text, from, until)) {
      const inside = findInjections(d.text, 0, d.text.length, depth + 1);
      if (inside.length === 0) continue;
      const score = Math.min(1, Math.max(...inside.map((s) => s.score)) + BOOST);
      found.push({
        kind: "prompt_injection",
        rule: `injection.encode_obey.${d.encoding}`,
        family: "encode_obey",
        score,
        start: d.start,
        end: d.end,
      });
    }
  }
  return raiseForFamilies(found);
}

/** Each finding's score raised by 0.15 for each other family found in the same text. */
function raiseForFamilies(found: InjectionSpan[]): InjectionSpan[] {
  const families = new Set(found.map((s) => s.family)).size;
  if (families > 1) for (const s of found) s.score = Math.min(1, s.score + BOOST * (families - 1));
  return found;
}

/** The highest score among findings (0 for none). */
export function injectionScore(spans: readonly InjectionSpan[]): number {
  return spans.reduce((best, s) => Math.max(best, s.score), 0);
}

export const INJECTION_DETECTOR: Detector = {
  kind: "prompt_injection",
  // The longest finding: an encoded run, or a chain of words.
  maxSpan: Math.max(MAX_RUN, CHAIN_REACH),
  find(text: string, from: number, until = text.length): Found {
    // Findings may overlap and nothing is consumed: the next window starts where it starts.
    return { spans: findInjections(text, from, until), next: from };
  },
};

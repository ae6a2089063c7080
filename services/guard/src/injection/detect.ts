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
/**
 * How far from a joint of spaced-out letters a finding of the collapsed view can reach: a chain,
 * a rule's `then` (at most 516 characters: image_with_query), and a word.
 */
const COLLAPSED_REACH = CHAIN_REACH + 600;

/** Digits and signs leetspeak writes for letters ("1gn0r3", "$y$tem"). */
const isLeet = (c: number) =>
  c === 48 || c === 49 || c === 51 || c === 52 || c === 53 || c === 55 || c === 64 || c === 36;
const isAsciiLetter = (c: number) => (c | 32) >= 97 && (c | 32) <= 122;
/** Does text[from, to) have a leet sign beside a letter? (No slice: it runs for every finding.) */
function hasLeet(text: string, from: number, to: number): boolean {
  for (let i = from + 1; i < to; i++) {
    const a = text.charCodeAt(i - 1);
    const b = text.charCodeAt(i);
    if ((isAsciiLetter(a) && isLeet(b)) || (isLeet(a) && isAsciiLetter(b))) return true;
  }
  return false;
}
const OWN = CLASS_BIT.own;
const NEGATION = CLASS_BIT.negation;
const isLetter = (c: number) => ((c | 32) >= 97 && (c | 32) <= 122) || (c >= 0xc0 && c <= 0x24f);
/**
 * The code unit at `i`, or 0 past either end. Reading past the end with charCodeAt (NaN) makes
 * V8 drop a loop's optimised code for a slower one (3× here), so the loops never do.
 */
const codeAt = (s: string, i: number): number => (i >= 0 && i < s.length ? s.charCodeAt(i) : 0);

// The rules as the scan follows them, in typed arrays (it runs once per word of the text, so it
// must not allocate or look up maps): a slot per rule and chain position, and per word of the
// automaton the slots it can go on from (later chain positions first: a word never continues a
// chain it has just started).
const SLOT_OF_RULE = new Int32Array(RULES.length);
let slots = 0;
RULES.forEach((r, i) => {
  SLOT_OF_RULE[i] = slots;
  slots += r.chain.length;
});
const SLOTS = slots;
// Per step (a word going on in a rule's chain): the rule, its chain position, the slot, and
// the most characters since the chain's previous word (0 at the first).
const steps: { rule: number; position: number }[] = [];
const STEP_FROM = new Int32Array(WORD_INFO.length + 1);
WORD_INFO.forEach((word, w) => {
  const ofWord: { rule: number; position: number }[] = [];
  RULES.forEach((r, i) =>
    r.chain.forEach((c, k) => (word.classes & CLASS_BIT[c]) !== 0 && ofWord.push({ rule: i, position: k })),
  );
  steps.push(...ofWord.sort((x, y) => y.position - x.position));
  STEP_FROM[w + 1] = steps.length;
});
const STEP_RULE = Int32Array.from(steps, (t) => t.rule);
const STEP_POSITION = Int32Array.from(steps, (t) => t.position);
const STEP_SLOT = Int32Array.from(steps, (t) => SLOT_OF_RULE[t.rule]! + t.position);
const STEP_LAST = Uint8Array.from(steps, (t) => (t.position === RULES[t.rule]!.chain.length - 1 ? 1 : 0));
const STEP_GAP = Int32Array.from(steps, (t) => (t.position > 0 ? RULES[t.rule]!.gaps[t.position - 1]! : 0));
const WORD_CLASSES = Int32Array.from(WORD_INFO, (w) => w.classes);
const WORD_EDGES = Uint8Array.from(WORD_INFO, (w) => (w.letterStart ? 1 : 0) | (w.letterEnd ? 2 : 0));

/**
 * Chains in progress, per slot (rule and chain position): a ring of the last MAX_PENDING, in
 * typed arrays shared by every scan (a scan runs to its end before the next starts).
 */
const pendingStart = new Int32Array(SLOTS * MAX_PENDING);
const pendingEnd = new Int32Array(SLOTS * MAX_PENDING);
const pendingFirstEnd = new Int32Array(SLOTS * MAX_PENDING);
/** Bit 1: negated before; bit 2: went on already. */
const pendingFlags = new Uint8Array(SLOTS * MAX_PENDING);
const pendingSize = new Int32Array(SLOTS);
const pendingNext = new Int32Array(SLOTS);

function push(slot: number, start: number, end: number, firstEnd: number, negated: boolean): void {
  const i = pendingNext[slot]!;
  const at = slot * MAX_PENDING + i;
  pendingStart[at] = start;
  pendingEnd[at] = end;
  pendingFirstEnd[at] = firstEnd;
  pendingFlags[at] = negated ? 1 : 0;
  pendingNext[slot] = i + 1 === MAX_PENDING ? 0 : i + 1;
  if (pendingSize[slot]! < MAX_PENDING) pendingSize[slot]!++;
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

/** Appends the matches of every rule in a view, for words starting in [from, until) (view offsets). */
function matchView(
  view: View,
  from: number,
  until: number,
  hidden: boolean,
  out: InjectionSpan[],
  wordEdges = true,
): void {
  const text = view.text;
  // Per rule, per chain position: the stretches that matched the chain up to there and may
  // still go on — every one, not only the latest, so a window finds what one pass finds; at
  // most MAX_PENDING (the oldest go first). Each goes on at most once: one finding per first word.
  pendingSize.fill(0);
  pendingNext.fill(0);
  let lastOwn = -1;
  let lastNegationStart = -1;
  let lastNegationEnd = -1;
  // Words past `until` may still end a chain that starts before it. The automaton's loop
  // (prefilter.ts), with what each word does written inside it.
  const { symbols, asciiWidth, asciiNext, otherWidth, otherNext, ends, lengths, hasEnd, longest } = AUTOMATON;
  const limit = Math.min(text.length, until + CHAIN_REACH);
  const stop = Math.min(text.length, limit + longest);
  let state = 0;
  for (let at = from; at < stop; at++) {
    const sym = symbols[text.charCodeAt(at)]!;
    state =
      sym < asciiWidth
        ? asciiNext[state * asciiWidth + sym]!
        : otherNext[state * otherWidth + sym - asciiWidth]!;
    if (hasEnd[state] === 0) continue;
    const words = ends[state]!;
    const end = at + 1;
    for (let x = 0; x < words.length; x++) {
      const w = words[x]!;
      const start = end - lengths[w]!;
      if (start >= limit) continue;
      if (wordEdges) {
        const edges = WORD_EDGES[w]!;
        if ((edges & 1) !== 0 && isLetter(codeAt(text, start - 1))) continue;
        if ((edges & 2) !== 0 && isLetter(codeAt(text, end))) continue;
      }
      const classes = WORD_CLASSES[w]!;
      if ((classes & OWN) !== 0) lastOwn = start;
      if ((classes & NEGATION) !== 0) {
        lastNegationStart = start;
        lastNegationEnd = end;
      }
      for (let step = STEP_FROM[w]!, stepEnd = STEP_FROM[w + 1]!; step < stepEnd; step++) {
        const k = STEP_POSITION[step]!;
        const last = STEP_LAST[step] === 1;
        const slot = STEP_SLOT[step]!;
        if (k === 0) {
          if (start >= until) continue;
          const negated =
            lastNegationEnd >= 0 && lastNegationEnd <= start && lastNegationEnd >= start - NEGATION_REACH;
          if (last) emit(RULES[STEP_RULE[step]!]!, start, end, end, negated);
          else push(slot, start, end, end, negated);
          continue;
        }
        const before = slot - 1;
        const gap = STEP_GAP[step]!;
        const size = pendingSize[before]!;
        for (let i = before * MAX_PENDING, n = i + size; i < n; i++) {
          const bEnd = pendingEnd[i]!;
          if ((pendingFlags[i]! & 2) !== 0 || bEnd > start || start - bEnd > gap) continue;
          if (endsSentence(text, bEnd, start)) continue;
          pendingFlags[i]! |= 2;
          const negated = (pendingFlags[i]! & 1) !== 0;
          if (last) emit(RULES[STEP_RULE[step]!]!, pendingStart[i]!, end, pendingFirstEnd[i]!, negated);
          else push(slot, pendingStart[i]!, end, pendingFirstEnd[i]!, negated);
        }
      }
    }
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
    const leet = hasLeet(text, from, to);
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

/**
 * The first offset of the view whose original offset is `at` or more (the view's end if none):
 * normalising keeps offsets ordered, so a binary search finds it.
 */
function viewOffset(view: View, at: number): number {
  const map = view.map;
  if (map === undefined) return at;
  let lo = 0;
  let hi = map.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (map[mid]! < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Injection findings in `text` (offsets in it) starting in [from, until). `collapsedReach`: how
 * much of the collapsed view around its joints is read (the specs compare it with all of it).
 */
export function findInjections(
  text: string,
  from = 0,
  until = text.length,
  depth = 0,
  collapsedReach = COLLAPSED_REACH,
): InjectionSpan[] {
  // The collapsed view only counts where collapsing joined letters: only that much is built.
  const n = normalize(text, collapsedReach);
  const hidden = n.flags !== 0;
  const found: InjectionSpan[] = [];
  matchView(n.plain, viewOffset(n.plain, from), viewOffset(n.plain, until), hidden, found);
  if (n.folded !== undefined) {
    // Collapsing "p r e v i o u s i n s t r u c t i o n s" loses the space between words too:
    // in that view words need not stand apart.
    matchView(n.folded, viewOffset(n.folded, from), viewOffset(n.folded, until), true, found, false);
  }
  if (depth < MAX_DEPTH) {
    // The best score inside each distinct decoded text (-1: nothing), screened once.
    let inner: Map<string, number> | undefined;
    decodeRuns(text, from, until, (encoding, start, end, decoded) => {
      inner ??= new Map();
      let best = inner.get(decoded);
      if (best === undefined) {
        const inside = findInjections(decoded, 0, decoded.length, depth + 1, collapsedReach);
        best = inside.length === 0 ? -1 : injectionScore(inside);
        inner.set(decoded, best);
      }
      if (best < 0) return;
      found.push({
        kind: "prompt_injection",
        rule: `injection.encode_obey.${encoding}`,
        family: "encode_obey",
        score: Math.min(1, best + BOOST),
        start,
        end,
      });
    });
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

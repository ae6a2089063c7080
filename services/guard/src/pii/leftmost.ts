// One left-to-right pass of several patterns, as if they were the alternatives of one: at each
// step the candidate that starts first is taken (the earlier pattern on a tie), and the pass
// resumes after it. The outcome depends only on the text and the position a pass starts from,
// so a window that resumes where the previous one stopped finds what one pass over the whole
// text finds, and each pattern scans each stretch of text about once: linear in the text.
import type { Found } from "../scan.js";

/**
 * Runs the global (`g`) patterns over `text` from `from`, calling `visit` for each candidate
 * consumed, up to the first that starts at or after `until`; `null` patterns are skipped (a
 * prefilter found they cannot match). Returns where the pass stopped.
 */
export function leftmost(
  patterns: readonly (RegExp | null)[],
  text: string,
  from: number,
  until: number,
  visit: (pattern: number, match: RegExpExecArray) => void,
): Found["next"] {
  if (patterns.length === 1) return single(patterns[0]!, text, from, until, visit);
  const next = (re: RegExp | null, at: number): RegExpExecArray | null => {
    if (re === null) return null;
    re.lastIndex = at;
    return re.exec(text);
  };
  const pending = patterns.map((re) => next(re, from));
  let at = from;
  for (;;) {
    let first = -1;
    for (let i = 0; i < pending.length; i++) {
      const m = pending[i];
      if (m && (first < 0 || m.index < pending[first]!.index)) first = i;
    }
    const m = first < 0 ? null : pending[first]!;
    if (m === null || m.index >= until) return at;
    visit(first, m);
    at = m.index + Math.max(1, m[0].length);
    // A candidate that began before the end of the one just taken overlapped it: find the
    // pattern's next candidate after it. The others still start first from here.
    for (let i = 0; i < pending.length; i++) {
      if (pending[i] && pending[i]!.index < at) pending[i] = next(patterns[i]!, at);
    }
  }
}

/** The same for one pattern: a plain loop of `exec`. */
function single(
  re: RegExp | null,
  text: string,
  from: number,
  until: number,
  visit: (pattern: number, match: RegExpExecArray) => void,
): number {
  if (re === null) return from;
  let at = from;
  re.lastIndex = from;
  for (let m = re.exec(text); m !== null && m.index < until; m = re.exec(text)) {
    visit(0, m);
    at = m.index + Math.max(1, m[0].length);
    re.lastIndex = at;
  }
  return at;
}

// Linear-time scanning. A text of any size is scanned in windows of bounded size that overlap
// by more than the longest span a detector reports, so every span lies whole inside the window
// that owns its start, and the time budget is checked between windows: no single step of the
// guard runs longer than one window's scan, whatever the size of the request.
import type { ScreeningBudget } from "./budget.js";

/** A finding's position in the text it was found in (UTF-16 offsets, end exclusive). */
export interface Span {
  kind: string;
  rule: string;
  start: number;
  end: number;
}

export interface Detector {
  readonly kind: string;
  /** Longest span it reports, in UTF-16 units. Windows overlap by more than this. */
  readonly maxSpan: number;
  /**
   * Spans in `text`, offsets relative to it, found in time linear in its length, by one
   * left-to-right pass from `from` (the characters before it are context for look-behind
   * only) that stops at the first candidate starting at or after `until`.
   */
  find(text: string, from: number, until?: number): Found;
}

/** What one pass found, and where it stopped: the end of the last candidate it consumed. */
export interface Found {
  spans: Span[];
  next: number;
}

/** Characters scanned per window. Small enough that one window is a short step (~0.1 ms). */
export const WINDOW = 16 * 1024;
/** Characters of context before a window, for look-behind and word boundaries. */
const CONTEXT = 64;
/** Characters of look-ahead past the longest span, for trailing boundaries. */
const LOOKAHEAD = 64;

/**
 * Every span every detector finds in `text`, in windows, with the budget checked after each
 * window. When the budget runs out, returns what was found so far (`budget.spent()` says so).
 */
export function scan(text: string, detectors: readonly Detector[], budget: ScreeningBudget): Span[] {
  const out: Span[] = [];
  for (const detector of detectors) {
    const overlap = detector.maxSpan + LOOKAHEAD;
    // Where the previous window's pass stopped: a candidate that straddles a window edge has
    // consumed text past it, and one pass over the whole text would resume after it too.
    let next = 0;
    for (let start = 0; start < text.length; start += WINDOW) {
      const ownEnd = start + WINDOW;
      const from = Math.max(0, start - CONTEXT);
      // slice() of a long string is a view in V8, not a copy.
      const window = text.slice(from, Math.min(text.length, ownEnd + overlap));
      const found = detector.find(window, Math.max(start, next) - from, Math.min(ownEnd, text.length) - from);
      for (const span of found.spans) {
        span.start += from;
        span.end += from;
        out.push(span);
      }
      next = found.next + from;
      if (budget.spent()) return out;
    }
  }
  return out;
}

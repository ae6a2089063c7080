// Linear-time scanning. A text of any size is scanned in windows of bounded size that overlap
// by more than the longest span a detector reports, so every span lies whole inside the window
// that owns its start, and the time budget is checked between windows: no single step of the
// guard runs longer than one window's scan, whatever the size of the request. The window edge
// is also where a prompt's screening pauses to give the event loop a turn (budget.ts).
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

/** Where a scan stands: the detector it runs, that detector's next window, and its pass's stop. */
export interface ScanCursor {
  detector: number;
  start: number;
  next: number;
  /** What was found so far. */
  readonly spans: Span[];
}

export const startScan = (): ScanCursor => ({ detector: 0, start: 0, next: 0, spans: [] });

/**
 * Scans `text` in windows from where `at` stands, each detector in turn, checking the budget
 * after each window. Returns true when the scan is over (the whole text, or the budget ran
 * out: `budget.spent()` says which); false when `pausable` and the budget says a slice has run
 * (`budget.due()`): pause, then call again with the same cursor to go on from there.
 */
export function scanWindows(
  text: string,
  detectors: readonly Detector[],
  budget: ScreeningBudget,
  at: ScanCursor,
  pausable: boolean,
): boolean {
  for (; at.detector < detectors.length; at.detector++, at.start = 0, at.next = 0) {
    const detector = detectors[at.detector]!;
    const overlap = detector.maxSpan + LOOKAHEAD;
    while (at.start < text.length) {
      const start = at.start;
      const ownEnd = start + WINDOW;
      const from = Math.max(0, start - CONTEXT);
      // slice() of a long string is a view in V8, not a copy.
      const window = text.slice(from, Math.min(text.length, ownEnd + overlap));
      // Where the previous window's pass stopped: a candidate that straddles a window edge has
      // consumed text past it, and one pass over the whole text would resume after it too.
      const found = detector.find(
        window,
        Math.max(start, at.next) - from,
        Math.min(ownEnd, text.length) - from,
      );
      for (const span of found.spans) {
        span.start += from;
        span.end += from;
        at.spans.push(span);
      }
      at.next = found.next + from;
      at.start = ownEnd;
      if (budget.spent()) return true;
      if (pausable && budget.due()) return false;
    }
  }
  return true;
}

/**
 * Every span every detector finds in `text`, in windows, with the budget checked after each
 * window, in one go (no pause: for answers, whose stream chunks are screened as they come).
 * When the budget runs out, returns what was found so far (`budget.spent()` says so).
 */
export function scan(text: string, detectors: readonly Detector[], budget: ScreeningBudget): Span[] {
  const at = startScan();
  scanWindows(text, detectors, budget, at, false);
  return at.spans;
}

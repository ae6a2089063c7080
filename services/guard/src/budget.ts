// The time a screening may take. Detectors are linear, but a request may be large (the body
// limit is megabytes): past the budget the guard stops scanning and the policy decides, fail
// open (pass what was screened so far, flagged) or fail closed (block).
//
// The budget is also the screening's pacer. A request's screening runs on the event loop, which
// also sends the replica's heartbeats (a request whose holder stays silent for 800 ms is given
// up for lost and sent again) and runs every other request: so after each slice of SLICE_MS
// the screening pauses for one turn of the loop. The time it is paused is other work's, not
// this screening's: the budget counts only the time the screening runs, which is what it
// counted before screenings paused, so a verdict does not depend on what else the replica does.
import { setImmediate as turn } from "node:timers/promises";

/**
 * How long a screening runs before it gives the event loop a turn: a small fraction of the
 * heartbeat's 200 ms, and a short wait for a small request behind a large one. A turn costs
 * microseconds, so even at this rate pausing costs well under 1% of a long screening.
 */
export const SLICE_MS = 10;

/**
 * How many items (spans) a loop of the screening handles between two looks at the clock: a
 * millisecond's work or less, and no clock read per item.
 */
export const CHECK_EVERY = 4096;

export interface ScreeningBudget {
  readonly budgetMs: number;
  /** True once the budget is spent (and from then on). Reads the clock. */
  spent(): boolean;
  /** True when the screening has run a slice since it started or last paused. */
  due(): boolean;
  /** Gives the event loop a turn; the time until the screening is back does not count. */
  pause(): Promise<void>;
  /** Milliseconds the screening has run so far, pauses not counted. */
  elapsedMs(): number;
}

export function startBudget(
  budgetMs: number,
  opts: { sliceMs?: number; now?: () => number } = {},
): ScreeningBudget {
  const now = opts.now ?? (() => performance.now());
  const sliceMs = opts.sliceMs ?? SLICE_MS;
  let started = now();
  let until = started + budgetMs;
  let sliceEnd = started + sliceMs;
  let spent = false;
  return {
    budgetMs,
    spent: () => (spent ||= now() > until),
    due: () => now() > sliceEnd,
    pause: async () => {
      const away = now();
      await turn();
      const back = now();
      started += back - away;
      until += back - away;
      sliceEnd = back + sliceMs;
    },
    elapsedMs: () => now() - started,
  };
}

// Fuzzing and timing helpers for the guard's linear-time specs.
import fc from "fast-check";

/**
 * The fastest of `runs` timings of fn, in ms: the least disturbed by the rest of the machine.
 * It stops early at a timing of `enough` ms or less (a bound that one run within settles).
 */
export function bestMs(fn: () => void, runs = 5, enough = 0): number {
  let best = Infinity;
  for (let i = 0; i < runs && best > enough; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

// Two fixed pieces of work that are no guard code, each over a megabyte: one table lookup per
// character (streaming, like a pattern scan), and a walk through a 1 MB table of transitions,
// one per character (latency-bound, like the injection automaton). How fast this 2-core
// machine runs them varies 2–2.5× from one second to the next, with the host; the guard's
// time varies with them.
const STREAM_TEXT = Buffer.from("abcdefgh ".repeat(116_509), "latin1").toString("latin1");
const STREAM_TABLE = new Uint8Array(128).fill(1);
function stream(): number {
  let sum = 0;
  for (let i = 0; i < STREAM_TEXT.length; i++) {
    const c = STREAM_TEXT.charCodeAt(i);
    sum += c < 128 ? STREAM_TABLE[c]! : 1;
  }
  return sum;
}
const WALK_WIDTH = 64;
const WALK_STATES = 4096;
const WALK_TABLE = new Int32Array(WALK_WIDTH * WALK_STATES);
for (let i = 0, x = 12345; i < WALK_TABLE.length; i++) {
  x = (x * 1103515245 + 12345) & 0x7fffffff;
  WALK_TABLE[i] = (x % WALK_STATES) * WALK_WIDTH;
}
const WALK_TEXT = Buffer.from(
  Array.from({ length: 1 << 20 }, (_, i) => String.fromCharCode(32 + ((i * 7919) % 90))).join(""),
  "latin1",
).toString("latin1");
function walk(): number {
  let state = 0;
  for (let i = 0; i < WALK_TEXT.length; i++) state = WALK_TABLE[state + (WALK_TEXT.charCodeAt(i) & 63)]!;
  return state;
}
/** Their best times on the machine the guard's time bounds were set on, idle (ms). */
const STREAM_IDLE_MS = 2.5;
const WALK_IDLE_MS = 3.2;

/**
 * How much slower the machine runs right now than the one the guard's time bounds were set on,
 * idle: the reference work timed against its time there; at least 1, so a faster machine is
 * held to the bounds as they are.
 */
export function slowdown(): number {
  let s = Infinity;
  let w = Infinity;
  for (let i = 0; i < 3; i++) {
    let t0 = performance.now();
    stream();
    s = Math.min(s, performance.now() - t0);
    t0 = performance.now();
    walk();
    w = Math.min(w, performance.now() - t0);
  }
  return Math.max(1, s / STREAM_IDLE_MS, w / WALK_IDLE_MS);
}

/**
 * The fastest of up to `runs` timings of fn, each divided by how much slower the machine ran
 * than idle around it (`slowdown` just before and just after, the lesser: a run is not
 * excused by a slow moment it did not overlap): ms as on the idle machine, the least disturbed
 * by the rest of it. Stops early at a timing of `enough` or less.
 */
export function idleMs(fn: () => void, runs = 10, enough = 0): number {
  let best = Infinity;
  let before = slowdown();
  for (let i = 0; i < runs && best > enough; i++) {
    const t0 = performance.now();
    fn();
    const ms = performance.now() - t0;
    const after = slowdown();
    best = Math.min(best, ms / Math.min(before, after));
    before = after;
  }
  return best;
}

/**
 * A fuzz unit of up to 64 characters: random characters from `alphabet` (from all of it, or
 * from two or three of its characters, so a repeated unit makes long runs of what a pattern
 * accepts), or one of `specimens` with a few characters inserted, deleted or replaced.
 */
export function fuzzUnit(alphabet: string, specimens: readonly string[]): fc.Arbitrary<string> {
  const char = fc.constantFrom(...alphabet);
  return fc.oneof(
    fc
      .uniqueArray(char, { minLength: 1, maxLength: 3 })
      .chain((chars) => fc.string({ unit: fc.constantFrom(...chars), minLength: 1, maxLength: 64 })),
    fc.string({ unit: char, minLength: 1, maxLength: 64 }),
    fc
      .tuple(
        fc.constantFrom(...specimens),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom("insert", "delete", "replace"), char), {
          minLength: 1,
          maxLength: 4,
        }),
      )
      .map(([specimen, edits]) => {
        const chars = [...specimen];
        for (const [at, op, c] of edits) {
          const i = at % (chars.length + 1);
          if (op === "insert") chars.splice(i, 0, c);
          else if (op === "delete") chars.splice(i, 1);
          else chars[i] = c;
        }
        return `${chars.join("")} `;
      }),
  );
}

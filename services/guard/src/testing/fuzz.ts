// Fuzzing and timing helpers for the guard's linear-time specs (detectors.spec.ts has its own
// copy of these from before; it can use these).
import fc from "fast-check";

/** The fastest of `runs` timings of fn, in ms: the least disturbed by the rest of the machine. */
export function bestMs(fn: () => void, runs = 5): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
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

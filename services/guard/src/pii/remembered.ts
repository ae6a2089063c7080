// A verdict per distinct candidate, kept for one pass over one window: a text that repeats a
// value (a log of the same card, a megabyte of one number) has it checked once, and nothing is
// kept after the pass (a candidate is personal data).

/** The value cached under `key`, computed and cached first if missing. */
export function remembered<T>(cache: Map<string, T>, key: string, compute: () => T): T {
  let value = cache.get(key);
  if (value === undefined) {
    value = compute();
    cache.set(key, value);
  }
  return value;
}

// A bounded cache in front of a slow lookup: answers are kept for `ttlMs` (absent ones for
// `absentTtlMs`, so a flood of unknown keys does not become a flood of lookups), concurrent
// misses for one key share one lookup, and the oldest entries go first past `max`. When a
// lookup fails, an answer that expired less than `staleIfErrorMs` ago is used instead (the
// store behind it is down; what was true a moment ago beats refusing everything).
export interface LookupCache<V> {
  get(key: string): Promise<V | undefined>;
  forget(key: string): void;
  /** Forgets every entry whose value matches. */
  forgetIf(match: (value: V) => boolean): void;
  clear(): void;
  /** Every entry is looked up again on its next use (kept only as a fallback if that fails). */
  expireAll(): void;
}

export function createLookupCache<V>(opts: {
  fetch: (key: string) => Promise<V | undefined>;
  ttlMs: number;
  absentTtlMs: number;
  max: number;
  staleIfErrorMs?: number;
  now?: () => number;
}): LookupCache<V> {
  const now = opts.now ?? Date.now;
  const entries = new Map<string, { value: V | undefined; until: number }>();
  const loading = new Map<string, Promise<V | undefined>>();
  // Bumped by clear(), and per key by forget(): an answer that was on its way meanwhile may be
  // stale (read before the change it is forgotten for), so it is not kept.
  let generation = 0;
  const forgotten = new Map<string, number>();
  return {
    async get(key) {
      const hit = entries.get(key);
      if (hit !== undefined && hit.until > now()) return hit.value;
      const pending = loading.get(key);
      if (pending !== undefined) return pending;
      const gen = generation;
      const keyGen = forgotten.get(key) ?? 0;
      const p = opts
        .fetch(key)
        .then(
          (value) => ({ value, fresh: true }),
          (err: unknown) => {
            const stale = entries.get(key);
            if (stale !== undefined && now() - stale.until < (opts.staleIfErrorMs ?? 0))
              return { value: stale.value, fresh: false };
            throw err;
          },
        )
        .then(({ value, fresh }) => {
          if (fresh && gen === generation && keyGen === (forgotten.get(key) ?? 0)) {
            entries.delete(key);
            entries.set(key, { value, until: now() + (value === undefined ? opts.absentTtlMs : opts.ttlMs) });
            if (entries.size > opts.max) entries.delete(entries.keys().next().value!);
          }
          return value;
        })
        .finally(() => {
          if (loading.get(key) === p) loading.delete(key);
          if (!loading.has(key)) forgotten.delete(key);
        });
      loading.set(key, p);
      return p;
    },
    forget(key) {
      entries.delete(key);
      if (loading.has(key)) {
        loading.delete(key);
        forgotten.set(key, (forgotten.get(key) ?? 0) + 1);
      }
    },
    forgetIf(match) {
      generation++;
      for (const [key, e] of entries) if (e.value !== undefined && match(e.value)) entries.delete(key);
    },
    clear() {
      generation++;
      entries.clear();
    },
    expireAll() {
      generation++;
      const t = now();
      for (const e of entries.values()) e.until = Math.min(e.until, t);
    },
  };
}

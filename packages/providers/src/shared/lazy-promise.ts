/** Runs `build` inside a promise, so a thrown mapping error becomes a rejection, as callers of an async API expect. */
export function promised<T>(build: () => T): Promise<T> {
  return new Promise<T>((resolve) => resolve(build()));
}

// Which model aliases a key may use: each pattern is an alias, or a prefix ending in "*"
// ("*" alone for every alias).
export function modelAllowed(patterns: readonly string[], alias: string): boolean {
  for (const p of patterns) {
    if (p === alias) return true;
    if (p.endsWith("*") && alias.startsWith(p.slice(0, -1))) return true;
  }
  return false;
}

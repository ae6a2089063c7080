// The Redis hashes that hold settled usage for a calendar month (UTC): per key, team and
// tenant. Settlement adds to them; the admin API reads them.
export const monthOf = (unixMs: number): string => new Date(unixMs).toISOString().slice(0, 7);

export function usageKeys(prefix: string, month: string) {
  return {
    key: (id: string) => `${prefix}:usage:${id}:${month}`,
    team: (id: string) => `${prefix}:usage:team:${id}:${month}`,
    tenant: (id: string) => `${prefix}:usage:tenant:${id}:${month}`,
  };
}

// How many of one tenant's batch lines this orchestrator runs at once, across all its batches:
// a tenant with ten batches gets the same share of the pipeline as one with one.
export interface TenantWindow {
  /** Resolves when the tenant has room, to the function that gives the place back. */
  enter(tenantId: string, signal: AbortSignal): Promise<() => void>;
}

export function createTenantWindow(perTenant: number): TenantWindow {
  const tenants = new Map<string, { running: number; waiting: (() => void)[] }>();
  return {
    enter(tenantId, signal) {
      let t = tenants.get(tenantId);
      if (t === undefined) tenants.set(tenantId, (t = { running: 0, waiting: [] }));
      const slot = t;
      const release = (): void => {
        slot.running--;
        const next = slot.waiting.shift();
        if (next !== undefined) next();
        else if (slot.running === 0) tenants.delete(tenantId);
      };
      if (slot.running < perTenant) {
        slot.running++;
        return Promise.resolve(release);
      }
      return new Promise((resolve, reject) => {
        const go = (): void => {
          signal.removeEventListener("abort", abort);
          slot.running++;
          resolve(release);
        };
        const abort = (): void => {
          slot.waiting = slot.waiting.filter((w) => w !== go);
          reject(signal.reason as Error);
        };
        signal.addEventListener("abort", abort, { once: true });
        slot.waiting.push(go);
      });
    },
  };
}

// Deployments that answered 429 with Retry-After are skipped until then (while another
// deployment is available), so one throttled upstream does not cost every request a round trip.
import type { Deployment } from "@switchyard/proto";

export interface Cooldowns {
  note(deploymentId: string, retryAfterMs: number): void;
  /** Deployments in route order, those cooling down moved to the end. */
  order(deployments: readonly Deployment[]): Deployment[];
}

export function createCooldowns(now: () => number = Date.now): Cooldowns {
  const until = new Map<string, number>();
  return {
    note(id, retryAfterMs) {
      if (retryAfterMs > 0) until.set(id, now() + retryAfterMs);
    },
    order(deployments) {
      const t = now();
      const cool = (d: Deployment): boolean => (until.get(d.id) ?? 0) > t;
      return [...deployments.filter((d) => !cool(d)), ...deployments.filter(cool)];
    },
  };
}

// Deployments that answered 429 with Retry-After are skipped until then (while another
// deployment is available), so one throttled upstream does not cost every request a round trip.
// The cooldown is shared: written to the routing statistics bucket (every router and provider
// replica reads it), and kept here too so this replica skips it before the write comes back.
import type { AttemptRecorder, RouteStatsView } from "@switchyard/common";
import type { Deployment } from "@switchyard/proto";

export interface Cooldowns {
  note(deploymentId: string, retryAfterMs: number): void;
  /** Deployments in route order, those cooling down moved to the end. */
  order(deployments: readonly Deployment[]): Deployment[];
}

export function createCooldowns(
  shared: { view?: RouteStatsView; recorder?: AttemptRecorder } = {},
  now: () => number = Date.now,
): Cooldowns {
  const until = new Map<string, number>();
  return {
    note(id, retryAfterMs) {
      if (retryAfterMs <= 0) return;
      const t = now() + retryAfterMs;
      until.set(id, t);
      shared.recorder?.coolDown(id, t);
    },
    order(deployments) {
      const t = now();
      const cool = (d: Deployment): boolean =>
        (until.get(d.id) ?? 0) > t || (shared.view?.cooldownUntil(d.id) ?? 0) > t;
      return [...deployments.filter((d) => !cool(d)), ...deployments.filter(cool)];
    },
  };
}

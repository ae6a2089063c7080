// Subject names in one place. Everything is under `<prefix>.v1.` so two deployments can share
// one NATS by choosing different prefixes.
import type { Envelope } from "@switchyard/proto";

export interface Subjects {
  /** The prefix every name starts with (also names the KV buckets and streams). */
  readonly prefix: string;
  /** Work queue of a stage; each stage subscribes with queue group = stage name. */
  stage(name: string): string;
  /**
   * Where an envelope goes for routing-slip entry `entry`: the stage's queue group, or for an
   * "@stage" entry (a stage inline in the ingress that accepted it) that ingress's home subject.
   */
  next(env: Envelope, entry: string): string;
  /** Per-request cancel announcements. */
  cancel(requestId: string): string;
  /** JetStream subject of usage events. */
  readonly usageEvents: string;
  /**
   * JetStream subject of the usage events of requests refused at the door (never entered the
   * pipeline): for analysis only, never settled.
   */
  readonly rejectedEvents: string;
  /** JetStream subject of guard verdicts. */
  readonly guardVerdicts: string;
  /** JetStream subject of budget alerts. */
  readonly budgetAlerts: string;
  /** Inbox prefix for ingress reply subjects. */
  readonly inboxPrefix: string;
  /** Request-reply to the meter: the key behind a secret's hash. */
  readonly keyLookup: string;
  /** The meter's announcements of changed keys. */
  readonly keysChanged: string;
}

export function subjects(prefix: string): Subjects {
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(prefix)) {
    throw new Error(`subject prefix "${prefix}" must be dot-separated tokens of letters, digits, _ or -`);
  }
  const base = `${prefix}.v1`;
  return {
    prefix,
    stage: (name) => `${base}.stage.${name}`,
    next: (env, entry) => (entry.startsWith("@") ? env.homeSubject : `${base}.stage.${entry}`),
    cancel: (requestId) => `${base}.cancel.${requestId}`,
    usageEvents: `${base}.events.usage`,
    rejectedEvents: `${base}.events.rejected`,
    guardVerdicts: `${base}.events.guard`,
    budgetAlerts: `${base}.events.budget`,
    inboxPrefix: `${base}.inbox`,
    keyLookup: `${base}.keys.lookup`,
    keysChanged: `${base}.keys.changed`,
  };
}

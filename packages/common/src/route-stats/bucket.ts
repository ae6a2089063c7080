// The NATS KV bucket that holds the live routing state every router and provider replica
// shares (docs/routing.md): `w.<deployment>.<instance>` per replica's recent attempts,
// `c.<deployment>` a circuit, `r.<deployment>` a Retry-After cooldown. One bucket per subject
// prefix, so two gateways can share a NATS.
import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { bucketName } from "../object-names.js";

export function routeStatsBucketName(prefix: string): string {
  return bucketName(prefix, "route_stats");
}

/** Opens the bucket, creating it on first use. Idempotent; at start, never per request. */
export async function openRouteStats(nc: NatsConnection, prefix: string): Promise<KV> {
  // One value per key; a key nobody writes for an hour (a replica long gone) expires.
  return new Kvm(nc).create(routeStatsBucketName(prefix), { history: 1, ttl: 3_600_000 });
}

/**
 * A key token for any id: KV keys allow letters, digits and `-_=/.`, and `.` separates tokens,
 * so every other character (ids may hold `.` and `:`) becomes `=` and two hex digits.
 */
export function keyToken(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, (c) => `=${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

export function fromKeyToken(token: string): string {
  return token.replace(/=([0-9a-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

export const windowKey = (deployment: string, instance: string): string =>
  `w.${keyToken(deployment)}.${keyToken(instance)}`;
export const circuitKey = (deployment: string): string => `c.${keyToken(deployment)}`;
export const cooldownKey = (deployment: string): string => `r.${keyToken(deployment)}`;

export type StatsKey =
  | { kind: "window"; deployment: string; instance: string }
  | { kind: "circuit" | "cooldown"; deployment: string };

export function parseStatsKey(key: string): StatsKey | undefined {
  const [head, dep, inst, ...rest] = key.split(".");
  if (dep === undefined || rest.length > 0) return undefined;
  const deployment = fromKeyToken(dep);
  if (head === "w" && inst !== undefined) return { kind: "window", deployment, instance: fromKeyToken(inst) };
  if (inst !== undefined) return undefined;
  if (head === "c") return { kind: "circuit", deployment };
  if (head === "r") return { kind: "cooldown", deployment };
  return undefined;
}

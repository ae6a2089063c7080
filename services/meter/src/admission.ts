// The meter's admission step with its Redis connection: what the meter process runs on its
// queue group, and what ingress runs in-process when the meter is an inline stage. Wherever it
// runs it also owns the keys: it writes the gateway file's tenants, teams and keys to the store,
// answers ingress's key lookups (queue group "meter"), and reads key records through a cache
// that forgets a key as soon as a change to it is announced.
import { fromBinary } from "@bufbuild/protobuf";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import {
  createLookupCache,
  type GatewayConfig,
  type Logger,
  type ReadinessCheck,
  type StageHandler,
  type Subjects,
} from "@switchyard/common";
import { KeysChangedSchema } from "@switchyard/proto";
import { Redis } from "ioredis";
import { Counter, type Registry } from "prom-client";
import { bootstrapIdentity } from "./identity/bootstrap.js";
import { startKeyDirectory, type KeyDirectory } from "./identity/directory.js";
import {
  createIdentityStore,
  type IdentityStore,
  type Key,
  type Team,
  type Tenant,
} from "./identity/store.js";
import { createLimiter, defineLimitSettle } from "./limits.js";
import { createMeterStage } from "./stage.js";

export interface Admission {
  handler: StageHandler;
  redis: Redis;
  store: IdentityStore;
  directory: KeyDirectory;
  readiness: Record<string, ReadinessCheck>;
  close: () => Promise<void>;
}

export async function createAdmission(deps: {
  redisUrl: string;
  redisPrefix: string;
  /** While Redis is unreachable: admit uncounted (open), or answer 503 (closed). */
  rateLimitFailMode: "open" | "closed";
  registry?: Registry;
  nc: NatsConnection;
  subjects: Subjects;
  gateway: GatewayConfig;
  log: Logger;
}): Promise<Admission> {
  // Retry forever: the process stays up through Redis restarts and reports not-ready meanwhile.
  const redis = new Redis(deps.redisUrl, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: true,
    // A check on the request path that takes longer than this has a broken store behind it.
    commandTimeout: 1000,
  });
  redis.on("error", (err) => deps.log.warn({ err: err.message }, "redis error"));
  await redis.connect().catch((err: unknown) => deps.log.warn({ err }, "redis not reachable yet"));
  const store = createIdentityStore(redis, deps.redisPrefix);
  defineLimitSettle(redis);
  // Records the admission reads on every request, cached; a change announced by any replica
  // (or this one) drops them at once.
  const cached = <V>(fetch: (id: string) => Promise<V | undefined>) =>
    createLookupCache<V>({ fetch, ttlMs: 60_000, absentTtlMs: 5_000, max: 100_000, staleIfErrorMs: 600_000 });
  const keys = cached<Key>((id) => store.getKey(id));
  const teams = cached<Team>((id) => store.getTeam(id));
  const tenants = cached<Tenant>((id) => store.getTenant(id));
  const changes: Subscription = deps.nc.subscribe(deps.subjects.keysChanged, {
    callback: (err, msg) => {
      if (err !== null) return;
      try {
        const c = fromBinary(KeysChangedSchema, msg.data);
        for (const id of c.keyIds) keys.forget(id);
        for (const id of c.teamIds) teams.forget(id);
        for (const id of c.tenantIds) tenants.forget(id);
      } catch {
        keys.clear();
        teams.clear();
        tenants.clear();
      }
    },
  });
  const directory = startKeyDirectory({ nc: deps.nc, subjects: deps.subjects, store, log: deps.log });
  // The gateway file's keys, kept in step with it: now, and again whenever Redis comes back (it
  // may have restarted without its data).
  const bootstrap = (): Promise<void> =>
    bootstrapIdentity(store, deps.gateway).then(
      (changed) => directory.changed(changed),
      (err: unknown) => deps.log.error({ err }, "could not write the gateway file's keys to Redis"),
    );
  redis.on("ready", () => void bootstrap());
  if (redis.status === "ready") await bootstrap();
  return {
    store,
    directory,
    handler: createMeterStage({
      keyById: (id) => keys.get(id),
      teamById: (id) => teams.get(id),
      tenantById: (id) => tenants.get(id),
      limiter: createLimiter(redis, deps.redisPrefix, deps.gateway.limits.window_ms),
      failMode: deps.rateLimitFailMode,
      onStoreDown: storeDownCounter(deps.registry),
      log: deps.log,
    }),
    redis,
    readiness: { redis: () => redis.status === "ready" || redis.status },
    close: async () => {
      await changes.drain();
      await directory.close();
      redis.disconnect();
    },
  };
}

/** Requests whose rate limit could not be checked (Redis unreachable), by what was done. */
function storeDownCounter(registry: Registry | undefined): (mode: "open" | "closed") => void {
  const c = new Counter({
    name: "switchyard_rate_limit_store_down_total",
    help: "Requests whose rate limit could not be checked because Redis was unreachable, by fail mode",
    labelNames: ["fail_mode"],
    registers: registry ? [registry] : [],
  });
  return (mode) => c.inc({ fail_mode: mode });
}

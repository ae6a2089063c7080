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
import { createIdentityStore, type IdentityStore, type Key } from "./identity/store.js";
import { createRateLimiter } from "./rate-limit.js";
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
  const keys = createLookupCache<Key>({
    fetch: (id) => store.getKey(id),
    ttlMs: 60_000,
    absentTtlMs: 5_000,
    max: 100_000,
  });
  const changes: Subscription = deps.nc.subscribe(deps.subjects.keysChanged, {
    callback: (err, msg) => {
      if (err !== null) return;
      try {
        for (const id of fromBinary(KeysChangedSchema, msg.data).keyIds) keys.forget(id);
      } catch {
        keys.clear();
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
      limiter: createRateLimiter(redis, deps.redisPrefix),
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

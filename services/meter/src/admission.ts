// The meter's admission step with its Redis connection: what the meter process runs on its
// queue group, and what ingress runs in-process when the meter is an inline stage. Wherever it
// runs it also owns the keys: it writes the gateway file's tenants, teams and keys to the store,
// answers ingress's key lookups (queue group "meter"), and reads key records through a cache
// that forgets a key as soon as a change to it is announced.
import { fromBinary } from "@bufbuild/protobuf";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import {
  buildCatalog,
  createLookupCache,
  type GatewayConfig,
  type Logger,
  type ReadinessCheck,
  type StageHandler,
  type Subjects,
} from "@switchyard/common";
import { KeysChangedSchema, type BudgetHold } from "@switchyard/proto";
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
import { createAlertPublisher } from "./budgets/alerts.js";
import { createBudgetGate } from "./budgets/gate.js";
import { createLedger, defineBudgetSettle, type Reached } from "./budgets/ledger.js";
import { createLimiter, defineLimitSettle } from "./limits.js";
import { createMeterStage, type StoreCheck } from "./stage.js";

export interface Admission {
  handler: StageHandler;
  /** Publishes a budget alert (JetStream, and the webhook when one is set). */
  alerts: (hold: BudgetHold, reached: Reached) => void;
  redis: Redis;
  store: IdentityStore;
  directory: KeyDirectory;
  readiness: Record<string, ReadinessCheck>;
  close: () => Promise<void>;
}

export async function createAdmission(deps: {
  redisUrl: string;
  redisPrefix: string;
  /** While Redis is unreachable, for tenants that set none: admit uncounted (open), or answer 503 (closed). */
  rateLimitFailMode: "open" | "closed";
  budgetFailMode: "open" | "closed";
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
  defineBudgetSettle(redis);
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
  const alerts = createAlertPublisher({
    nc: deps.nc,
    subject: deps.subjects.budgetAlerts,
    webhookUrl: deps.gateway.budgets.alert_webhook_url,
    registry: deps.registry,
    log: deps.log,
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
      budgets: createBudgetGate(createLedger(redis, deps.redisPrefix), buildCatalog(deps.gateway), alerts),
      reservationGraceMs: deps.gateway.budgets.reservation_grace_ms,
      storeDownDefaults: { limits: deps.rateLimitFailMode, budgets: deps.budgetFailMode },
      onStoreDown: storeDownCounter(deps.registry, deps.log),
      log: deps.log,
    }),
    redis,
    alerts,
    readiness: { redis: () => redis.status === "ready" || redis.status },
    close: async () => {
      await changes.drain();
      await directory.close();
      redis.disconnect();
    },
  };
}

/** Requests whose limits or budgets could not be checked (Redis unreachable), by what was done. */
function storeDownCounter(
  registry: Registry | undefined,
  log: Logger,
): (check: StoreCheck, mode: "open" | "closed", err: unknown) => void {
  const c = new Counter({
    name: "switchyard_meter_store_down_total",
    help: "Requests whose rate limits or budgets could not be checked because Redis was unreachable, by check and fail mode",
    labelNames: ["check", "fail_mode"],
    registers: registry ? [registry] : [],
  });
  // One log line per check and mode every ten seconds: an outage under load is not a flood.
  const lastLogged = new Map<string, number>();
  return (check, mode, err) => {
    c.inc({ check, fail_mode: mode });
    const now = Date.now();
    if (now - (lastLogged.get(check + mode) ?? 0) < 10_000) return;
    lastLogged.set(check + mode, now);
    log.warn(
      { err: err instanceof Error ? err.message : String(err), check, fail_mode: mode },
      mode === "open"
        ? "store unreachable: request admitted uncounted"
        : "store unreachable: request refused (503)",
    );
  };
}

// The life of every service process: config → logger → side server → NATS → wire → run →
// drain on SIGTERM. main.ts files call runService with what is particular to them.
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { ConfigError, env, settings, type EnvValues } from "./config.js";
import { startCpuProfile } from "./cpu-profile.js";
import { createLogger, type Logger } from "./logging.js";
import { connectNats, type ManagedNats } from "./nats.js";
import { startSideServer, type ReadinessCheck, type SideServer } from "./side-server.js";
import { subjects, type Subjects } from "./subjects.js";
import { useFastTextEncoding } from "./text-encoding.js";
import { startWatchdog } from "./watchdog.js";

/** Settings every service reads; each service adds its own. */
export function baseSettings(defaultMetricsPort: number) {
  return {
    natsUrl: env("SWITCHYARD_NATS_URL", z.string().default("nats://127.0.0.1:4222")),
    subjectPrefix: env("SWITCHYARD_SUBJECT_PREFIX", z.string().default("sy")),
    logLevel: env("SWITCHYARD_LOG_LEVEL", settings.logLevel().default("info")),
    metricsPort: env("SWITCHYARD_METRICS_PORT", settings.port().default(defaultMetricsPort)),
    metricsHost: env("SWITCHYARD_METRICS_HOST", z.string().default("127.0.0.1")),
    shutdownTimeoutMs: env("SWITCHYARD_SHUTDOWN_TIMEOUT_MS", settings.positiveInt().default(25_000)),
    /** An event loop that has not turned for this long is stuck: the process kills itself. */
    stallTimeoutMs: env("SWITCHYARD_STALL_TIMEOUT_MS", settings.positiveInt().default(30_000)),
    /** Local state that must outlive an outage: the usage-event outbox (<dir>/outbox/<service>). */
    dataDir: env("SWITCHYARD_DATA_DIR", z.string().default(join(tmpdir(), "switchyard"))),
    /** When set, a V8 CPU profile of the whole run is written to this file on shutdown. */
    cpuProfile: env("SWITCHYARD_CPU_PROFILE", z.string().optional()),
  };
}

export type BaseSettings = EnvValues<ReturnType<typeof baseSettings>>;

export interface ServiceContext<C> {
  readonly config: C;
  readonly log: Logger;
  readonly nats: ManagedNats;
  readonly side: SideServer;
  readonly subjects: Subjects;
  /** hostname:pid, recorded in stage timings. */
  readonly instance: string;
}

export interface RunningService {
  /** Extra readiness checks (NATS connectivity is always checked). */
  readiness?: Record<string, ReadinessCheck>;
  /** Stop taking work and finish what is in flight; NATS is drained afterwards. */
  stop?: () => Promise<void>;
}

export interface ServiceDefinition<C extends BaseSettings> {
  name: string;
  loadConfig: (source: NodeJS.ProcessEnv) => C;
  start: (ctx: ServiceContext<C>) => Promise<RunningService>;
}

/** Runs a service until SIGTERM/SIGINT. Bad configuration exits with status 2 and the message. */
export async function runService<C extends BaseSettings>(def: ServiceDefinition<C>): Promise<void> {
  let config: C;
  try {
    config = def.loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${def.name}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(def.name, config.logLevel);
  useFastTextEncoding();
  const watchdog = startWatchdog({ service: def.name, stallMs: config.stallTimeoutMs });
  const profiler = await startCpuProfile(config.cpuProfile);
  const side = await startSideServer({
    port: config.metricsPort,
    host: config.metricsHost,
    service: def.name,
  });
  // Not ready until start() has finished (the side server answers from here on, and before
  // then ingress may not listen yet).
  let started = false;
  side.addReadiness("started", () => started || "starting");
  const nats = await connectNats({ servers: config.natsUrl, name: def.name, log });
  side.addReadiness("nats", () => nats.connected() || "disconnected");
  const ctx: ServiceContext<C> = {
    config,
    log,
    nats,
    side,
    subjects: subjects(config.subjectPrefix),
    instance: `${hostname()}:${process.pid}`,
  };
  const running = await def.start(ctx);
  for (const [name, check] of Object.entries(running.readiness ?? {})) side.addReadiness(name, check);
  started = true;
  log.info({ metricsPort: side.port }, `${def.name} ready`);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "draining");
    // Enforced from another thread, so a drain that blocks the event loop cannot outlast it.
    watchdog.shutdownWithin(config.shutdownTimeoutMs);
    void (async () => {
      await running.stop?.();
      await nats.drain();
      await side.close();
      await profiler.save();
      log.info("stopped");
      process.exit(0);
    })();
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

/** The standard ending of a main.ts. */
export function exitOnFatal(service: string): (err: unknown) => never {
  return (err) => {
    createLogger(service).fatal({ err }, "fatal");
    process.exit(1);
  };
}

// Starts Switchyard's services as separate processes (any number of replicas each), waits for
// /readyz, and stops them cleanly. Used by `npm start`, the e2e tests and the benchmark.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "./ports.js";

export const PIPELINE_SERVICES = [
  "ingress",
  "guard",
  "router",
  "meter",
  "provider",
  "analytics",
  "orchestrator",
] as const;
export type ServiceName = (typeof PIPELINE_SERVICES)[number] | "mock-provider";

export interface ServiceProcess {
  readonly name: ServiceName;
  readonly replica: number;
  readonly metricsPort: number;
  readonly logFile: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  ready(): Promise<boolean>;
}

export interface LaunchOptions {
  root: string;
  /** Environment for every service (NATS URL, config path, secrets...). */
  env: NodeJS.ProcessEnv;
  logDir: string;
  /**
   * First metrics port, each process taking the next one after it; or "free": each process
   * gets a port of its own from the OS (for tests running side by side, whose consecutive
   * ranges could overlap).
   */
  metricsPortBase: number | "free";
  /** When set, each service writes a CPU profile `<name>-<replica>.cpuprofile` here on shutdown. */
  profileDir?: string;
  /**
   * Restart a process that exits on its own (with growing pauses), saying so through `say`.
   * Off for tests and the benchmark, which kill processes on purpose.
   */
  supervise?: { say: (line: string) => void };
  /** How long a stop waits after SIGTERM before SIGKILL (default 30 s). */
  stopGraceMs?: number;
}

export interface Cluster {
  readonly processes: ServiceProcess[];
  /** `readyUrl` overrides the readiness probe (default: the process's /readyz side port). */
  start(name: ServiceName, extraEnv?: NodeJS.ProcessEnv, readyUrl?: string): Promise<ServiceProcess>;
  waitReady(proc: ServiceProcess, timeoutMs?: number): Promise<void>;
  /** SIGTERM (drain) or SIGKILL one process and wait for it to exit. */
  stopProcess(proc: ServiceProcess, signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

/** Pause before the n-th restart in a row (from 1): 0.25 s doubling up to 10 s. */
export function restartDelayMs(n: number): number {
  return Math.min(250 * 2 ** (n - 1), 10_000);
}

/** A process that ran this long before exiting starts its restart count afresh. */
const HEALTHY_RUN_MS = 60_000;

export function createCluster(opts: LaunchOptions): Cluster {
  mkdirSync(opts.logDir, { recursive: true });
  const processes: ServiceProcess[] = [];
  let nextPort = opts.metricsPortBase === "free" ? 0 : opts.metricsPortBase;
  let stopping = false;
  /** Processes being stopped on purpose (not restarted). */
  const stopped = new WeakSet<ServiceProcess>();

  function spawnService(
    name: ServiceName,
    replica: number,
    metricsPort: number,
    extraEnv: NodeJS.ProcessEnv,
    readyUrl: string | undefined,
  ): ServiceProcess {
    const logFile = join(opts.logDir, `${name}-${replica}.log`);
    const out = createWriteStream(logFile, { flags: "a" });
    const child = spawn(
      process.execPath,
      ["--enable-source-maps", join(opts.root, "services", name, "dist", "main.js")],
      {
        cwd: opts.root,
        env: {
          ...process.env,
          ...opts.env,
          SWITCHYARD_METRICS_PORT: String(metricsPort),
          ...(opts.profileDir
            ? { SWITCHYARD_CPU_PROFILE: join(opts.profileDir, `${name}-${replica}.cpuprofile`) }
            : {}),
          ...extraEnv,
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    // Both pipes write into one file, which closes only when both have: a process can close
    // stdout and still write to stderr, and the first pipe to end would otherwise end the file.
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    child.once("close", () => out.end());
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const proc: ServiceProcess = {
      name,
      replica,
      metricsPort,
      logFile,
      child,
      exited,
      ready: async () => {
        try {
          const url = readyUrl ?? `http://127.0.0.1:${metricsPort}/readyz`;
          const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
          await res.body?.cancel();
          return res.status === 200;
        } catch {
          return false;
        }
      },
    };
    return proc;
  }

  /** Restarts `proc` when it exits on its own, pausing longer each time it keeps failing. */
  function supervise(
    proc: ServiceProcess,
    extraEnv: NodeJS.ProcessEnv,
    readyUrl: string | undefined,
    run: number,
  ): void {
    const sup = opts.supervise;
    if (sup === undefined) return;
    const startedAt = Date.now();
    void proc.exited.then((code) => {
      if (stopping || stopped.has(proc)) return;
      const n = Date.now() - startedAt > HEALTHY_RUN_MS ? 1 : run;
      const delay = restartDelayMs(n);
      const how = proc.child.signalCode ?? `code ${code}`;
      sup.say(
        `${proc.name} (replica ${proc.replica}) exited unexpectedly (${how}); restarting in ${delay} ms, attempt ${n}; log: ${proc.logFile}`,
      );
      setTimeout(() => {
        if (stopping) return;
        const next = spawnService(proc.name, proc.replica, proc.metricsPort, extraEnv, readyUrl);
        processes[processes.indexOf(proc)] = next;
        supervise(next, extraEnv, readyUrl, n + 1);
      }, delay).unref();
    });
  }

  const cluster: Cluster = {
    processes,
    async start(name, extraEnv = {}, readyUrl) {
      const replica = processes.filter((p) => p.name === name).length;
      // The mock serves its own port; only Switchyard services take a metrics side port.
      const metricsPort =
        name === "mock-provider" ? 0 : opts.metricsPortBase === "free" ? await freePort() : nextPort++;
      const proc = spawnService(name, replica, metricsPort, extraEnv, readyUrl);
      processes.push(proc);
      supervise(proc, extraEnv, readyUrl, 1);
      return proc;
    },

    async waitReady(proc, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      let exitCode: number | null | undefined;
      void proc.exited.then((c) => (exitCode = c));
      while (Date.now() < until) {
        if (exitCode !== undefined) {
          await sleep(200); // its last lines may still be on their way from the pipe to the file
          throw new Error(
            `${proc.name} exited with ${exitCode} before it was ready; see ${proc.logFile}; it ended with: ${logTail(proc.logFile)}`,
          );
        }
        if (await proc.ready()) return;
        await sleep(100);
      }
      throw new Error(`${proc.name} was not ready within ${timeoutMs} ms; see ${proc.logFile}`);
    },

    async stopProcess(proc, signal = "SIGTERM") {
      stopped.add(proc);
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
      proc.child.kill(signal);
      // A process that does not end in time (a stuck event loop ignores SIGTERM) is killed.
      const killer = setTimeout(() => proc.child.kill("SIGKILL"), opts.stopGraceMs ?? 30_000);
      await proc.exited;
      clearTimeout(killer);
    },

    async stop() {
      stopping = true;
      // Ingress first, so no new work enters while the stages drain.
      const ingress = processes.filter((p) => p.name === "ingress");
      await Promise.all(ingress.map((p) => cluster.stopProcess(p)));
      await Promise.all(processes.map((p) => cluster.stopProcess(p)));
    },
  };
  return cluster;
}

/**
 * The last lines of a log, for an error that would otherwise only point at the file (which a CI
 * run's report does not carry).
 */
function logTail(file: string, chars = 1500): string {
  try {
    return readFileSync(file, "utf8").trimEnd().slice(-chars) || "(an empty log)";
  } catch {
    return "(no log)";
  }
}

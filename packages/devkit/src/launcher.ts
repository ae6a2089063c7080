// Starts Switchyard's services as separate processes (any number of replicas each), waits for
// /readyz, and stops them cleanly. Used by `npm start`, the e2e tests and the benchmark.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
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

export function createCluster(opts: LaunchOptions): Cluster {
  mkdirSync(opts.logDir, { recursive: true });
  const processes: ServiceProcess[] = [];
  let nextPort = opts.metricsPortBase === "free" ? 0 : opts.metricsPortBase;

  const cluster: Cluster = {
    processes,
    async start(name, extraEnv = {}, readyUrl) {
      const replica = processes.filter((p) => p.name === name).length;
      // The mock serves its own port; only Switchyard services take a metrics side port.
      const metricsPort =
        name === "mock-provider" ? 0 : opts.metricsPortBase === "free" ? await freePort() : nextPort++;
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
      child.stdout.pipe(out);
      child.stderr.pipe(out);
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
      processes.push(proc);
      return proc;
    },

    async waitReady(proc, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      let exitCode: number | null | undefined;
      void proc.exited.then((c) => (exitCode = c));
      while (Date.now() < until) {
        if (exitCode !== undefined)
          throw new Error(`${proc.name} exited with ${exitCode} before it was ready; see ${proc.logFile}`);
        if (await proc.ready()) return;
        await sleep(100);
      }
      throw new Error(`${proc.name} was not ready within ${timeoutMs} ms; see ${proc.logFile}`);
    },

    async stopProcess(proc, signal = "SIGTERM") {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
      proc.child.kill(signal);
      const killer = setTimeout(() => proc.child.kill("SIGKILL"), 30_000);
      await proc.exited;
      clearTimeout(killer);
    },

    async stop() {
      // Ingress first, so no new work enters while the stages drain.
      const ingress = processes.filter((p) => p.name === "ingress");
      await Promise.all(ingress.map((p) => cluster.stopProcess(p)));
      await Promise.all(processes.map((p) => cluster.stopProcess(p)));
    },
  };
  return cluster;
}

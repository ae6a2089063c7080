// Starts, watches and stops the four servers as child processes with pid files and log files
// under one data folder.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { locateExecutables } from "./paths.js";
import type { Executables } from "./paths.js";
import { ALL_SERVERS, PORT_ENV, SERVER_PORTS, isPortFree, isPortOpen } from "./ports.js";
import type { ServerName, StackPorts } from "./ports.js";
import { commandLine, isAlive, signalGroup, tailFile, waitGone, workingDir } from "./proc.js";
import { SERVERS } from "./servers.js";
import type { ServerContext } from "./servers.js";

export interface StackOptions {
  ports: StackPorts;
  dataDir: string;
  /** Default: all four. */
  servers?: ServerName[];
  log?: (line: string) => void;
}

export interface Stack {
  readonly ports: StackPorts;
  readonly urls: { nats: string; redis: string; clickhouse: string; temporal: string };
  /** Stops all cleanly (SIGTERM, then SIGKILL after a timeout), waits for exit, frees the ports. */
  stop(): Promise<void>;
  /** SIGKILLs one server (for chaos tests) and waits until its ports are closed. */
  kill(name: ServerName): Promise<void>;
  /** (Re)starts one server on the same ports and data folder; waits until it answers. */
  start(name: ServerName): Promise<void>;
}

const READY_TIMEOUT_MS = 45_000;
const STOP_TIMEOUT_MS = 10_000;
const PORT_TIMEOUT_MS = 5_000;
/** Starts of a server that exits before it answers (see LocalStack.start). */
const START_ATTEMPTS = 3;

/** A server that exited before it answered its readiness probe. */
class ExitedEarly extends Error {}

const pidFile = (dataDir: string, name: ServerName): string => join(dataDir, "pids", `${name}.pid`);
const logFile = (dataDir: string, name: ServerName): string => join(dataDir, "logs", `${name}.log`);
export const portsFile = (dataDir: string): string => join(dataDir, "ports.json");

/** Pids of every child any stack in this process started and that has not exited yet. */
const liveChildren = new Set<number>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Best effort: 'exit' runs on normal exit and process.exit(), not when we are SIGKILLed; the
  // pid files cover that case on the next start.
  process.on("exit", () => {
    for (const pid of liveChildren) signalGroup(pid, "SIGKILL");
  });
}

export function urlsFor(ports: StackPorts): Stack["urls"] {
  return {
    nats: `nats://127.0.0.1:${ports.nats}`,
    redis: `redis://127.0.0.1:${ports.redis}`,
    clickhouse: `http://127.0.0.1:${ports.clickhouseHttp}`,
    temporal: `127.0.0.1:${ports.temporal}`,
  };
}

function portInUseMessage(port: number, name: ServerName, key: keyof StackPorts): string {
  return `port ${port} for ${SERVER_PORTS[name].label} is already in use; set ${PORT_ENV[key]} to another port`;
}

async function checkPortsFree(ports: StackPorts, names: readonly ServerName[], graceMs = 0): Promise<void> {
  // A killed multi-threaded server can look gone (zombie leader) a moment before its sockets close.
  const keys = names.flatMap((name) => SERVER_PORTS[name].ports);
  const deadline = Date.now() + graceMs;
  while (
    Date.now() < deadline &&
    !(await Promise.all(keys.map((k) => isPortFree(ports[k])))).every(Boolean)
  ) {
    await sleep(50);
  }
  const checks = names.flatMap((name) => SERVER_PORTS[name].ports.map((key) => ({ name, key })));
  const taken = await Promise.all(checks.map(async (c) => !(await isPortFree(ports[c.key]))));
  const problems = checks
    .filter((_, i) => taken[i])
    .map((c) => portInUseMessage(ports[c.key], c.name, c.key));
  if (problems.length > 0) throw new Error(problems.join("\n"));
}

function validatePorts(ports: StackPorts, names: readonly ServerName[]): void {
  const seen = new Map<number, keyof StackPorts>();
  for (const name of names) {
    for (const key of SERVER_PORTS[name].ports) {
      const port = ports[key];
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new Error(`ports.${key} must be a port number from 1 to 65535, got ${String(port)}`);
      }
      const other = seen.get(port);
      if (other !== undefined) {
        throw new Error(
          `port ${port} is given to both ${PORT_ENV[other]} and ${PORT_ENV[key]}; pick distinct ports`,
        );
      }
      seen.set(port, key);
    }
  }
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** A recorded pid that is alive and still one of our servers for this data folder. */
function recordedProcess(dataDir: string, name: ServerName): number | undefined {
  const pid = readPid(pidFile(dataDir, name));
  if (pid === undefined || !isAlive(pid)) return undefined;
  // Guards against a recycled pid: we start each server in <dataDir>/<name> (redis-server rewrites
  // its command line, so that alone would not do), and its arguments name dataDir.
  const ours = workingDir(pid) === join(dataDir, name) || commandLine(pid).includes(dataDir);
  return ours ? pid : undefined;
}

/** The ports the last startStack on this data folder used, if recorded. */
export function recordedPorts(dataDir: string): StackPorts | undefined {
  try {
    return JSON.parse(readFileSync(portsFile(resolve(dataDir)), "utf8")) as StackPorts;
  } catch {
    return undefined;
  }
}

/** What the pid files under dataDir say, checked against the live processes. */
export function recordedServers(dataDir: string): { name: ServerName; pid: number | undefined }[] {
  const abs = resolve(dataDir);
  return ALL_SERVERS.map((name) => ({ name, pid: recordedProcess(abs, name) }));
}

/**
 * Stops the servers recorded in dataDir's pid files (from this or another process):
 * SIGTERM, then SIGKILL after the timeout. Returns the names it stopped.
 */
export async function stopRecordedServers(
  dataDir: string,
  opts: { signal?: "SIGTERM" | "SIGKILL"; timeoutMs?: number; log?: (line: string) => void } = {},
): Promise<ServerName[]> {
  const abs = resolve(dataDir);
  const stopped: ServerName[] = [];
  await Promise.all(
    ALL_SERVERS.map(async (name) => {
      const pid = recordedProcess(abs, name);
      if (pid !== undefined) {
        opts.log?.(`stopping ${SERVER_PORTS[name].label} (pid ${pid})`);
        signalGroup(pid, opts.signal ?? "SIGTERM");
        if (!(await waitGone(pid, opts.timeoutMs ?? STOP_TIMEOUT_MS))) {
          signalGroup(pid, "SIGKILL");
          await waitGone(pid, PORT_TIMEOUT_MS);
        }
        stopped.push(name);
      }
      rmSync(pidFile(abs, name), { force: true });
    }),
  );
  const ports = recordedPorts(abs);
  if (stopped.length > 0 && ports !== undefined) {
    await checkPortsFree(ports, stopped, PORT_TIMEOUT_MS).catch(() => undefined);
  }
  return stopped;
}

/** One readiness attempt against a server on the given ports; rejects with the reason. */
export async function probeServer(name: ServerName, ports: StackPorts, dataDir: string): Promise<void> {
  const located = locateExecutables();
  if ("missing" in located) throw new Error(`not installed: ${located.missing.join(", ")}`);
  await SERVERS[name].probe({ ports, dataDir: resolve(dataDir), exe: located.found });
}

interface Running {
  child: ChildProcess;
  pid: number;
  exited: Promise<void>;
  hasExited: () => boolean;
  stopping: boolean;
}

class LocalStack implements Stack {
  readonly urls: Stack["urls"];
  private readonly running = new Map<ServerName, Running>();
  private readonly ctx: ServerContext;

  constructor(
    readonly ports: StackPorts,
    private readonly dataDir: string,
    exe: Executables,
    private readonly log: (line: string) => void,
  ) {
    this.urls = urlsFor(ports);
    this.ctx = { ports, dataDir, exe };
  }

  /**
   * Starts a server and waits until it answers. One that exits before it answered is started
   * again (twice at most): Temporal's dev server binds internal ports it picked as free a moment
   * earlier, and when another process takes one meanwhile it panics at start.
   */
  async start(name: ServerName): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.startOnce(name);
        return;
      } catch (err) {
        if (attempt >= START_ATTEMPTS || !(err instanceof ExitedEarly)) throw err;
        this.log(`${SERVER_PORTS[name].label} exited before it answered; starting it again`);
      }
    }
  }

  private async startOnce(name: ServerName): Promise<void> {
    const label = SERVER_PORTS[name].label;
    const current = this.running.get(name);
    if (current !== undefined && !current.hasExited()) {
      await this.waitReady(name, current);
      return;
    }
    await checkPortsFree(this.ports, [name]);
    const started = Date.now();
    const { file, args } = SERVERS[name].prepare(this.ctx);
    const cwd = join(this.dataDir, name);
    mkdirSync(cwd, { recursive: true });
    const fd = openSync(logFile(this.dataDir, name), "a");
    let child: ChildProcess;
    try {
      writeSync(fd, `\n--- ${new Date().toISOString()} starting: ${[file, ...args].join(" ")}\n`);
      // detached: own process group, so a Ctrl-C in our terminal reaches only us and we stop
      // the servers cleanly; stdio goes to the log file, never to our terminal.
      child = spawn(file, args, { cwd, detached: true, stdio: ["ignore", fd, fd] });
    } finally {
      closeSync(fd);
    }
    const spawnError = new Promise<Error>((res) => child.once("error", res));
    const pid = child.pid;
    if (pid === undefined)
      throw new Error(`could not start ${label} (${file}): ${(await spawnError).message}`);
    child.unref();
    liveChildren.add(pid);
    installExitHook();
    writeFileSync(pidFile(this.dataDir, name), `${pid}\n`);
    let exitedFlag = false;
    const entry: Running = {
      child,
      pid,
      stopping: false,
      hasExited: () => exitedFlag,
      exited: new Promise<void>((res) => {
        child.once("exit", (code, signal) => {
          exitedFlag = true;
          liveChildren.delete(pid);
          if (!entry.stopping) {
            this.log(
              `${label} (pid ${pid}) exited unexpectedly (${signal ?? `code ${String(code)}`}); see ${logFile(this.dataDir, name)}`,
            );
          }
          res();
        });
      }),
    };
    this.running.set(name, entry);
    try {
      await this.waitReady(name, entry);
    } catch (err) {
      await this.kill(name);
      throw err;
    }
    this.log(
      `${label} ready on ${SERVER_PORTS[name].ports.map((k) => this.ports[k]).join(", ")} in ${Date.now() - started}ms`,
    );
  }

  private async waitReady(name: ServerName, entry: Running): Promise<void> {
    const label = SERVER_PORTS[name].label;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let lastError = "";
    for (;;) {
      if (entry.hasExited()) {
        throw new ExitedEarly(`${label} exited before it answered.\n${this.logTail(name)}`);
      }
      try {
        await SERVERS[name].probe(this.ctx);
        return;
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
      }
      if (Date.now() > deadline) {
        throw new Error(
          `${label} did not answer within ${READY_TIMEOUT_MS / 1000}s (last check: ${lastError}).\n${this.logTail(name)}`,
        );
      }
      await sleep(100);
    }
  }

  private logTail(name: ServerName): string {
    const files = [logFile(this.dataDir, name), ...SERVERS[name].extraLogs(this.ctx)];
    return files
      .map((f) => {
        const tail = tailFile(f);
        return tail === "" ? "" : `--- last lines of ${f}:\n${tail}`;
      })
      .filter((s) => s !== "")
      .join("\n");
  }

  async kill(name: ServerName): Promise<void> {
    const entry = this.running.get(name);
    if (entry === undefined) return;
    entry.stopping = true;
    entry.child.ref(); // keep the event loop alive while we wait for the exit
    signalGroup(entry.pid, "SIGKILL");
    await entry.exited;
    entry.child.unref();
    this.running.delete(name);
    rmSync(pidFile(this.dataDir, name), { force: true });
    await this.waitPorts(name, async (port) => !(await isPortOpen(port)));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.running.keys()].map((name) => this.stopOne(name)));
  }

  private async stopOne(name: ServerName): Promise<void> {
    const entry = this.running.get(name);
    if (entry === undefined) return;
    entry.stopping = true;
    entry.child.ref();
    signalGroup(entry.pid, "SIGTERM");
    const timer = new AbortController();
    const timedOut = await Promise.race([
      entry.exited.then(() => false),
      sleep(STOP_TIMEOUT_MS, true, { signal: timer.signal }).catch(() => false),
    ]);
    timer.abort(); // do not keep the event loop alive for the rest of the timeout
    if (timedOut) {
      this.log(`${SERVER_PORTS[name].label} ignored SIGTERM for ${STOP_TIMEOUT_MS / 1000}s; sending SIGKILL`);
      signalGroup(entry.pid, "SIGKILL");
      await entry.exited;
    }
    entry.child.unref();
    this.running.delete(name);
    rmSync(pidFile(this.dataDir, name), { force: true });
    await this.waitPorts(name, isPortFree);
  }

  private async waitPorts(name: ServerName, ok: (port: number) => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + PORT_TIMEOUT_MS;
    for (const key of SERVER_PORTS[name].ports) {
      while (!(await ok(this.ports[key]))) {
        if (Date.now() > deadline) {
          throw new Error(
            `port ${this.ports[key]} of ${SERVER_PORTS[name].label} still busy after it exited`,
          );
        }
        await sleep(50);
      }
    }
  }
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const names = [...new Set(opts.servers ?? ALL_SERVERS)];
  const dataDir = resolve(opts.dataDir);
  const log = opts.log ?? (() => {});
  validatePorts(opts.ports, names);
  const located = locateExecutables();
  if ("missing" in located) {
    throw new Error(
      `the local stack is not installed (missing ${located.missing.join(", ")}); ` +
        "run `npm run stack -- install` or call ensureInstalled() first",
    );
  }
  for (const sub of ["logs", "pids"]) mkdirSync(join(dataDir, sub), { recursive: true });
  const stale = await stopRecordedServers(dataDir, { signal: "SIGKILL", timeoutMs: PORT_TIMEOUT_MS });
  if (stale.length > 0) log(`killed servers left running in ${dataDir}: ${stale.join(", ")}`);
  await checkPortsFree(opts.ports, names, stale.length > 0 ? PORT_TIMEOUT_MS : 0);
  writeFileSync(portsFile(dataDir), JSON.stringify(opts.ports, null, 2) + "\n");
  const stack = new LocalStack({ ...opts.ports }, dataDir, located.found, log);
  const results = await Promise.allSettled(names.map((name) => stack.start(name)));
  const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
  if (failures.length > 0) {
    await stack.stop();
    throw new Error(failures.map((e) => (e instanceof Error ? e.message : String(e))).join("\n\n"));
  }
  return stack;
}

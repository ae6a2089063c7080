// Small process helpers: run a command to completion, signal process groups, read log tails.
import { spawn } from "node:child_process";
import { closeSync, openSync, readSync, readlinkSync, statSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

export interface RunResult {
  code: number | null;
  output: string;
}

/** Runs a command to completion with stdout+stderr captured (last 64 KiB); never rejects on exit code. */
export function run(
  file: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: opts.timeoutMs,
      killSignal: "SIGKILL",
    });
    let output = "";
    const append = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.length > 65536) output = output.slice(-65536);
    };
    child.stdout.on("data", append);
    child.stderr.on("data", append);
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, output }));
  });
}

/** Runs a command and rejects with its output when it does not exit 0. */
export async function runOk(
  file: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<string> {
  const result = await run(file, args, opts);
  if (result.code !== 0) {
    throw new Error(
      `${[file, ...args].join(" ")} failed (exit ${String(result.code)}):\n${lastLines(result.output, 30)}`,
    );
  }
  return result.output;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Signals the process group led by pid (our children are group leaders), falling back to the pid. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
    return;
  } catch {
    // not a group leader, or already gone
  }
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Polls until the pid is gone; false on timeout. Works for processes that are not our children. */
export async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && !isZombie(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(25);
  }
  return true;
}

function isZombie(pid: number): boolean {
  try {
    const fd = openSync(`/proc/${pid}/stat`, "r");
    try {
      const buf = Buffer.alloc(512);
      const n = readSync(fd, buf, 0, buf.length, 0);
      const text = buf.toString("utf8", 0, n);
      return text.slice(text.lastIndexOf(")") + 2).startsWith("Z");
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** The command line of a live process, NUL separators turned to spaces; "" when unknown. */
export function commandLine(pid: number): string {
  try {
    const fd = openSync(`/proc/${pid}/cmdline`, "r");
    try {
      const buf = Buffer.alloc(16384);
      const n = readSync(fd, buf, 0, buf.length, 0);
      return buf.toString("utf8", 0, n).replaceAll("\0", " ");
    } finally {
      closeSync(fd);
    }
  } catch {
    return "";
  }
}

/** The working folder of a live process; "" when unknown. */
export function workingDir(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return "";
  }
}

export function lastLines(text: string, count: number): string {
  return text.trimEnd().split("\n").slice(-count).join("\n");
}

/** The last `count` lines of a file (reads at most its last 16 KiB); "" when missing. */
export function tailFile(path: string, count = 25): string {
  try {
    const size = statSync(path).size;
    const length = Math.min(size, 16384);
    const fd = openSync(path, "r");
    try {
      const buf = Buffer.alloc(length);
      readSync(fd, buf, 0, length, size - length);
      return lastLines(buf.toString("utf8"), count);
    } finally {
      closeSync(fd);
    }
  } catch {
    return "";
  }
}

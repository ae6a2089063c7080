// Where things live: the repo root, the project venv, and the server executables.
import { accessSync, constants, existsSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: three levels above this file (deploy/local/src or deploy/local/dist). */
export function repoRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
}

export const venvDir = (): string => join(repoRoot(), ".venv");
export const venvBin = (name: string): string => join(venvDir(), "bin", name);
export const requirementsFile = (): string => join(repoRoot(), "deploy", "local", "requirements.txt");
/** Holds the requirements text pip last installed successfully. */
export const requirementsStamp = (): string => join(venvDir(), ".switchyard-requirements");
/** Python packages only the tests use, installed into the same .venv by `npm test` alone. */
export const testRequirementsFile = (): string =>
  join(repoRoot(), "deploy", "local", "requirements-test.txt");
export const testRequirementsStamp = (): string => join(venvDir(), ".switchyard-requirements-test");
/** Default data folder of `npm run stack -- up` (git-ignored). */
export const defaultDataDir = (): string => join(repoRoot(), ".stack", "local");

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds an executable on PATH or in the sbin folders (root's PATH may lack them under npm). */
export function findExecutable(name: string): string | undefined {
  const dirs = [
    ...(process.env.PATH ?? "").split(delimiter),
    "/usr/local/sbin",
    "/usr/sbin",
    "/sbin",
    "/usr/bin",
  ];
  for (const dir of dirs) {
    if (dir === "") continue;
    const path = join(dir, name);
    if (existsSync(path) && isExecutable(path)) return path;
  }
  return undefined;
}

export interface Executables {
  natsServer: string;
  temporal: string;
  redisServer: string;
  /** `clickhouse-server` (Debian 18.16) or the multi-tool `clickhouse` of newer packages. */
  clickhouse: { file: string; prefixArgs: string[] };
}

/** The executables, or the list of what is missing. */
export function locateExecutables(): { found: Executables } | { missing: string[] } {
  const missing: string[] = [];
  const natsServer = venvBin("nats-server");
  const temporal = venvBin("temporal");
  if (!isExecutable(natsServer)) missing.push(natsServer);
  if (!isExecutable(temporal)) missing.push(temporal);
  const redisServer = findExecutable("redis-server");
  if (redisServer === undefined) missing.push("redis-server");
  const chServer = findExecutable("clickhouse-server");
  const chTool = chServer === undefined ? findExecutable("clickhouse") : undefined;
  const clickhouse =
    chServer !== undefined
      ? { file: chServer, prefixArgs: [] }
      : chTool !== undefined
        ? { file: chTool, prefixArgs: ["server"] }
        : undefined;
  if (clickhouse === undefined) missing.push("clickhouse-server");
  if (missing.length > 0 || redisServer === undefined || clickhouse === undefined) return { missing };
  return { found: { natsServer, temporal, redisServer, clickhouse } };
}

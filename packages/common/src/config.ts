// Settings are validated once at start with zod; a bad one stops the process with a message
// that names the environment variable or the config-file key, never a stack trace.
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
  }
}

/** One setting: the environment variable it is read from and the schema that checks it. */
export interface EnvSetting<T> {
  readonly variable: string;
  readonly schema: z.ZodType<T>;
}

export function env<T>(variable: string, schema: z.ZodType<T>): EnvSetting<T> {
  return { variable, schema };
}

type EnvSpec = Record<string, EnvSetting<unknown>>;
export type EnvValues<S extends EnvSpec> = {
  readonly [K in keyof S]: S[K] extends EnvSetting<infer T> ? T : never;
};

/** Reads every setting of `spec` from `source`; all problems are reported together. */
export function loadEnv<S extends EnvSpec>(spec: S, source: NodeJS.ProcessEnv): EnvValues<S> {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, setting] of Object.entries(spec)) {
    const raw = source[setting.variable];
    const result = setting.schema.safeParse(raw === "" ? undefined : raw);
    if (result.success) values[key] = result.data;
    else problems.push(`${setting.variable}: ${describeIssues(result.error, raw)}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(values) as EnvValues<S>;
}

/** Parses a YAML file against a schema; problems name the key path, e.g. `keys[0].tenant`. */
export function loadYamlFile<T>(path: string, schema: z.ZodType<T>): T {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError([`${path}: cannot read the config file (${(err as Error).message})`]);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError([`${path}: not valid YAML (${(err as Error).message})`]);
  }
  return parseWith(schema, doc, path);
}

export function parseWith<T>(schema: z.ZodType<T>, value: unknown, source: string): T {
  const result = schema.safeParse(value);
  if (result.success) return deepFreeze(result.data);
  throw new ConfigError(result.error.issues.map((issue) => `${source}: ${formatIssue(issue)}`));
}

function formatIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((k) => `${joinPath([...issue.path, k])}: unknown key`).join("; ");
  }
  const where = issue.path.length > 0 ? joinPath(issue.path) : "(top level)";
  return `${where}: ${issue.message}`;
}

function joinPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, part) => {
    if (typeof part === "number") return `${out}[${part}]`;
    return out === "" ? String(part) : `${out}.${String(part)}`;
  }, "");
}

function describeIssues(error: z.ZodError, raw: string | undefined): string {
  const message = error.issues.map((i) => i.message).join("; ");
  return raw === undefined ? `${message} (not set)` : `${message} (got ${JSON.stringify(raw)})`;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Reusable setting schemas for values that arrive as strings. */
export const settings = {
  port: () => z.coerce.number().int().min(0).max(65535),
  positiveInt: () => z.coerce.number().int().positive(),
  url: () => z.url(),
  flag: () => z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1"),
  logLevel: () => z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
  /** A comma-separated list of distinct values from `allowed` ("" is the empty list). */
  list: <const T extends string>(allowed: readonly [T, ...T[]]) =>
    z
      .string()
      .transform((v) =>
        v
          .split(",")
          .map((s) => s.trim())
          .filter((s) => s !== ""),
      )
      .pipe(z.array(z.enum(allowed)).refine((a) => new Set(a).size === a.length, "a value is listed twice")),
};

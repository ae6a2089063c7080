// `npm run stage -- <service>`: one more replica of a service, joined to the deployment that
// `npm start` runs (its config, its stack's ports, the MOCK provider's credentials, a free
// metrics port). NATS spreads the stage's work over every replica; Ctrl-C drains this one.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { LOCAL_SECRETS, PIPELINE_SERVICES, freePort, type ServiceName } from "@switchyard/devkit";
import { portsFromEnv, repoRoot } from "@switchyard/local-stack";

async function main(): Promise<void> {
  const name = process.argv[2] as ServiceName | undefined;
  const services: readonly string[] = PIPELINE_SERVICES;
  if (name === undefined || !services.includes(name)) {
    console.error(`usage: npm run stage -- <${PIPELINE_SERVICES.join("|")}>`);
    process.exit(2);
  }
  const root = repoRoot();
  const dataDir = process.env.SWITCHYARD_DATA_DIR || join(root, ".stack", "local");
  const config = join(dataDir, "switchyard.yaml");
  if (!existsSync(config)) {
    console.error(`no ${config}: start the deployment first with \`npm start\``);
    process.exit(2);
  }
  const ports = portsFromEnv(process.env);
  const metricsPort = process.env.SWITCHYARD_METRICS_PORT ?? String(await freePort());
  const env: NodeJS.ProcessEnv = {
    ...LOCAL_SECRETS,
    SWITCHYARD_CONFIG: config,
    SWITCHYARD_NATS_URL: `nats://127.0.0.1:${ports.nats}`,
    SWITCHYARD_REDIS_URL: `redis://127.0.0.1:${ports.redis}`,
    SWITCHYARD_CLICKHOUSE_URL: `http://127.0.0.1:${ports.clickhouseHttp}`,
    SWITCHYARD_TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
    SWITCHYARD_DATA_DIR: join(dataDir, "data"),
    // npm start's meter has the admin API's port; another replica takes any free one.
    SWITCHYARD_ADMIN_PORT: "0",
    ...process.env,
    SWITCHYARD_METRICS_PORT: metricsPort,
  };
  console.log(`[switchyard] ${name}: another replica, metrics and health on http://127.0.0.1:${metricsPort}`);
  const child = spawn(process.execPath, [join(root, "services", name, "dist", "main.js")], {
    env,
    stdio: "inherit",
  });
  // Ctrl-C reaches the child too (same process group); wait for its drain.
  process.on("SIGINT", () => undefined);
  process.on("SIGTERM", () => child.kill("SIGTERM"));
  child.once("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

main().catch((err: unknown) => {
  console.error(`[switchyard] ${(err as Error).message}`);
  process.exit(1);
});

// A private deployment on loopback for the chaos suite and the fuzzer: its own NATS and Redis
// in a temporary folder, the MOCK provider in this process, and every stage as processes with
// the replicas asked for (each ingress replica on its own doors), supervised like npm start.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  LOCAL_SECRETS,
  createCluster,
  freePort,
  localGatewayConfig,
  writeGatewayConfig,
  type Cluster,
  type ServiceName,
  type ServiceProcess,
} from "@switchyard/devkit";
import { ensureInstalled, freePorts, repoRoot, startStack, type Stack } from "@switchyard/local-stack";
import { startMockProvider } from "@switchyard/mock-provider";

export const KEY = "sy-reliability-key";
/** A key with a (high) rate limit, so every request's admission goes to Redis. */
export const LIMITED_KEY = "sy-reliability-limited-key";

export interface Deployment {
  stack: Stack;
  cluster: Cluster;
  mock: Awaited<ReturnType<typeof startMockProvider>>;
  /** Base URLs (http://127.0.0.1:port) and gRPC addresses of the ingress replicas. */
  doors: { http: string; grpc: string; process: ServiceProcess }[];
  procs(name: ServiceName): ServiceProcess[];
  stop(): Promise<void>;
}

export async function startDeployment(opts: {
  replicas: Partial<Record<ServiceName, number>>;
  log: (line: string) => void;
}): Promise<Deployment> {
  const dir = mkdtempSync(join(tmpdir(), "sy-reliability-"));
  await ensureInstalled({ log: opts.log });
  const stack = await startStack({
    ports: await freePorts(),
    dataDir: join(dir, "stack"),
    servers: ["nats", "redis"],
  });
  const mock = await startMockProvider({ port: 0 });
  const config = join(dir, "switchyard.yaml");
  writeGatewayConfig(
    config,
    localGatewayConfig({
      mockUrl: mock.url,
      keys: { dev: { key: KEY }, limited: { key: LIMITED_KEY, rpm: 1_000_000 } },
    }),
  );
  const cluster = createCluster({
    root: repoRoot(),
    logDir: join(dir, "logs"),
    metricsPortBase: "free",
    supervise: { say: (line) => opts.log(line) },
    stopGraceMs: 10_000,
    env: {
      ...LOCAL_SECRETS,
      SWITCHYARD_NATS_URL: stack.urls.nats,
      SWITCHYARD_REDIS_URL: stack.urls.redis,
      SWITCHYARD_CONFIG: config,
      SWITCHYARD_DATA_DIR: join(dir, "data"),
      SWITCHYARD_LOG_LEVEL: "warn",
      SWITCHYARD_ADMIN_PORT: "0",
    },
  });
  const doors: Deployment["doors"] = [];
  const starting: ServiceProcess[] = [];
  for (const [name, n] of Object.entries(opts.replicas) as [ServiceName, number][]) {
    for (let i = 0; i < n; i++) {
      if (name === "ingress") {
        const [http, grpc] = [await freePort(), await freePort()];
        const proc = await cluster.start(name, {
          SWITCHYARD_HTTP_PORT: String(http),
          SWITCHYARD_GRPC_PORT: String(grpc),
        });
        doors.push({ http: `http://127.0.0.1:${http}`, grpc: `127.0.0.1:${grpc}`, process: proc });
        starting.push(proc);
      } else starting.push(await cluster.start(name));
    }
  }
  await Promise.all(starting.map((p) => cluster.waitReady(p, 60_000)));
  return {
    stack,
    cluster,
    mock,
    doors,
    procs: (name) => cluster.processes.filter((p) => p.name === name),
    async stop() {
      await cluster.stop();
      await mock.close();
      await stack.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Everything under test, each in its own process on loopback: the local stack, every Switchyard
// service, the MOCK provider (the upstream for all systems), the one-hop proxy and Portkey.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  LOCAL_SECRETS,
  PIPELINE_SERVICES,
  createCluster,
  freePort,
  localGatewayConfig,
  writeGatewayConfig,
  type Cluster,
} from "@switchyard/devkit";
import { ensureInstalled, freePorts, repoRoot, startStack, type Stack } from "@switchyard/local-stack";
import type { Target } from "./load.js";

export type SystemName = "floor" | "proxy" | "switchyard" | "portkey";
export const SYSTEMS: SystemName[] = ["floor", "proxy", "switchyard", "portkey"];

const DEV_KEY = "sy-bench-key";
const MOCK_KEY = LOCAL_SECRETS.MOCK_OPENAI_API_KEY ?? "";

export interface Systems {
  target(system: SystemName, body: string): Target;
  /** Pids per process, for CPU and memory. */
  pids(): Record<string, number>;
  /** Restarts the mock with new default controls (e.g. `latency=50`). */
  setUpstream(controls: string): Promise<void>;
  stop(): Promise<void>;
}

async function waitHttp(url: string, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(500) });
      await res.body?.cancel();
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`${what} did not come up at ${url}`);
}

export async function startSystems(log: (line: string) => void): Promise<Systems> {
  const root = repoRoot();
  const dir = mkdtempSync(join(tmpdir(), "sy-bench-"));
  await ensureInstalled({ log });
  const stack: Stack = await startStack({
    ports: await freePorts(),
    dataDir: join(dir, "stack"),
    servers: ["nats", "redis"],
  });
  const [mockPort, proxyPort, portkeyPort, httpPort, grpcPort, metricsBase] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const mockUrl = `http://127.0.0.1:${mockPort}`;
  const children: ChildProcess[] = [];

  let mock: ChildProcess | undefined;
  const startMock = async (controls: string): Promise<void> => {
    if (mock) {
      mock.kill("SIGTERM");
      await new Promise((r) => mock?.once("exit", r));
    }
    mock = spawn(process.execPath, [join(root, "services/mock-provider/dist/main.js")], {
      env: { ...process.env, MOCK_PROVIDER_PORT: String(mockPort), MOCK_PROVIDER_DEFAULTS: controls },
      stdio: "ignore",
    });
    await waitHttp(`${mockUrl}/healthz`, "mock provider");
  };
  await startMock("latency=0");

  const proxy = spawn(process.execPath, [join(root, "bench/dist/proxy.js"), String(proxyPort), mockUrl], {
    stdio: "ignore",
  });
  children.push(proxy);
  const portkeyMain = createRequire(join(root, "bench/package.json")).resolve(
    "@portkey-ai/gateway/build/start-server.js",
  );
  const portkey = spawn(process.execPath, [portkeyMain, `--port=${portkeyPort}`, "--headless"], {
    env: { ...process.env, NODE_ENV: "production" },
    stdio: "ignore",
  });
  children.push(portkey);

  const config = join(dir, "switchyard.yaml");
  writeGatewayConfig(config, localGatewayConfig({ mockUrl, keys: { bench: { key: DEV_KEY } } }));
  const cluster: Cluster = createCluster({
    root,
    logDir: join(dir, "logs"),
    metricsPortBase: metricsBase,
    env: {
      ...LOCAL_SECRETS,
      SWITCHYARD_NATS_URL: stack.urls.nats,
      SWITCHYARD_REDIS_URL: stack.urls.redis,
      SWITCHYARD_CONFIG: config,
      SWITCHYARD_HTTP_PORT: String(httpPort),
      SWITCHYARD_GRPC_PORT: String(grpcPort),
      SWITCHYARD_LOG_LEVEL: "warn",
    },
  });
  const stages = PIPELINE_SERVICES.filter((s) => s !== "analytics" && s !== "orchestrator");
  const procs = await Promise.all(stages.map((s) => cluster.start(s)));
  await Promise.all(procs.map((p) => cluster.waitReady(p, 60_000)));
  await waitHttp(`http://127.0.0.1:${proxyPort}/`, "proxy");
  await waitHttp(`http://127.0.0.1:${portkeyPort}/`, "portkey");
  log("all systems up");

  const mockPath = "/openai/v1/chat/completions";
  return {
    target(system, body): Target {
      switch (system) {
        case "floor":
          return { url: `${mockUrl}${mockPath}`, headers: { authorization: `Bearer ${MOCK_KEY}` }, body };
        case "proxy":
          return {
            url: `http://127.0.0.1:${proxyPort}${mockPath}`,
            headers: { authorization: `Bearer ${MOCK_KEY}` },
            body,
          };
        case "switchyard":
          return {
            url: `http://127.0.0.1:${httpPort}/v1/chat/completions`,
            headers: { authorization: `Bearer ${DEV_KEY}` },
            body,
          };
        case "portkey":
          return {
            url: `http://127.0.0.1:${portkeyPort}/v1/chat/completions`,
            headers: {
              authorization: `Bearer ${MOCK_KEY}`,
              "x-portkey-provider": "openai",
              "x-portkey-custom-host": `${mockUrl}/openai/v1`,
            },
            body,
          };
      }
    },
    pids() {
      const out: Record<string, number> = {
        mock: mock?.pid ?? 0,
        proxy: proxy.pid ?? 0,
        portkey: portkey.pid ?? 0,
      };
      for (const p of cluster.processes) out[`switchyard-${p.name}`] = p.child.pid ?? 0;
      return out;
    },
    setUpstream: startMock,
    async stop() {
      await cluster.stop();
      for (const c of [...children, mock]) c?.kill("SIGTERM");
      await stack.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Everything under test, each in its own process on loopback: the local stack, every Switchyard
// service, a second ingress running guard/router/meter inline (same provider), a third running
// every stage inline, the MOCK provider (the upstream for all systems), the one-hop proxy and
// Portkey.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
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
  type ServiceProcess,
} from "@switchyard/devkit";
import {
  ensureInstalled,
  freePorts,
  recordedServers,
  repoRoot,
  startStack,
  type Stack,
} from "@switchyard/local-stack";
import type { CpuGroups } from "./cpu.js";
import type { Target } from "./load.js";
import { createUndo } from "./undo.js";

/**
 * The Switchyard topologies: every stage in its own process; guard, router and meter inside
 * ingress (the provider a process); every stage inside ingress.
 */
export const SWITCHYARDS = ["switchyard", "switchyard-inline", "switchyard-all-inline"] as const;
/**
 * Every stage inside ingress, as switchyard-all-inline, with a key under request, token and
 * concurrency limits and a budget (too high to refuse anything): what admission costs per request.
 */
export const LIMITED = "switchyard-limits";
export type SystemName = "floor" | "proxy" | (typeof SWITCHYARDS)[number] | typeof LIMITED | "portkey";
const ALL_SYSTEMS: SystemName[] = ["floor", "proxy", ...SWITCHYARDS, LIMITED, "portkey"];
/** BENCH_SYSTEMS narrows a run while working on one system (the floor is always measured). */
export const SYSTEMS: SystemName[] = process.env.BENCH_SYSTEMS
  ? ALL_SYSTEMS.filter((s) => s === "floor" || process.env.BENCH_SYSTEMS?.split(",").includes(s))
  : ALL_SYSTEMS;
const INLINE_STAGES: Record<(typeof SWITCHYARDS)[number] | typeof LIMITED, string> = {
  switchyard: "",
  "switchyard-inline": "guard,router,meter",
  "switchyard-all-inline": "guard,router,meter,provider",
  [LIMITED]: "guard,router,meter,provider",
};

export interface MeasuredProcess {
  label: string;
  pid: number;
  /** Where a Switchyard process writes its CPU profile when it exits. */
  profile?: string;
}

const DEV_KEY = "sy-bench-key";
const LIMITED_KEY = "sy-bench-limited-key";
const MOCK_KEY = LOCAL_SECRETS.MOCK_OPENAI_API_KEY ?? "";

export interface Systems {
  target(system: SystemName, body: string): Target;
  /** Whose CPU counts for `system`, and the shared servers beside it. */
  cpuGroups(system: SystemName): CpuGroups;
  /** Every process under test, for CPU, memory and profiles. */
  processes(): MeasuredProcess[];
  /** Restarts the mock with new default controls (e.g. `latency=50`). */
  setUpstream(controls: string): Promise<void>;
  stop(): Promise<void>;
  /** The run's temporary folder: logs, CPU profiles, the stack's data. */
  readonly folder: string;
  /** Removes the temporary folder (after the profiles were read). */
  cleanup(): void;
}

const undo = createUndo("bench");

/** Stops everything started so far (services, proxy, Portkey, mock, stack); safe to call twice. */
export const stopEverything = (): Promise<void> => undo.run();

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
  undo.push(() => stack.stop());
  const [mockPort, proxyPort, portkeyPort, metricsBase] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const mockUrl = `http://127.0.0.1:${mockPort}`;
  const children: ChildProcess[] = [];

  let mock: ChildProcess | undefined;
  undo.push(() => {
    for (const c of [...children, mock]) c?.kill("SIGTERM");
  });
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
  writeGatewayConfig(
    config,
    localGatewayConfig({
      mockUrl,
      keys: {
        bench: { key: DEV_KEY },
        "bench-limited": {
          key: LIMITED_KEY,
          rpm: 1e9,
          tpm: 4e9,
          concurrency: 100_000,
          budget: { usd: 1e6, period: "total" },
        },
      },
    }),
  );
  const cluster: Cluster = createCluster({
    root,
    logDir: join(dir, "logs"),
    metricsPortBase: metricsBase,
    env: {
      ...LOCAL_SECRETS,
      SWITCHYARD_NATS_URL: stack.urls.nats,
      SWITCHYARD_REDIS_URL: stack.urls.redis,
      SWITCHYARD_CONFIG: config,
      SWITCHYARD_LOG_LEVEL: "warn",
      SWITCHYARD_ADMIN_PORT: "0",
    },
    // V8's sampling profiler, written on shutdown: where each stage's CPU goes.
    profileDir: join(dir, "profiles"),
  });
  undo.push(() => cluster.stop());
  const stages = PIPELINE_SERVICES.filter(
    (s) => s !== "analytics" && s !== "orchestrator" && s !== "ingress",
  );
  mkdirSync(join(dir, "profiles"));
  const procs = await Promise.all(stages.map((s) => cluster.start(s)));
  // One ingress per topology, all sharing the stage processes above.
  const ingresses = new Map<string, { process: ServiceProcess; httpPort: number }>();
  for (const system of [...SWITCHYARDS, LIMITED] as const) {
    const [httpPort, grpcPort] = [await freePort(), await freePort()];
    const proc = await cluster.start("ingress", {
      SWITCHYARD_INLINE_STAGES: INLINE_STAGES[system],
      SWITCHYARD_HTTP_PORT: String(httpPort),
      SWITCHYARD_GRPC_PORT: String(grpcPort),
    });
    ingresses.set(system, { process: proc, httpPort });
    procs.push(proc);
  }
  await Promise.all(procs.map((p) => cluster.waitReady(p, 60_000)));
  await waitHttp(`http://127.0.0.1:${proxyPort}/`, "proxy");
  await waitHttp(`http://127.0.0.1:${portkeyPort}/`, "portkey");

  const mockPath = "/openai/v1/chat/completions";
  const systems: Systems = {
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
        case "switchyard-inline":
        case "switchyard-all-inline":
        case LIMITED:
          return {
            url: `http://127.0.0.1:${ingresses.get(system)?.httpPort}/v1/chat/completions`,
            headers: { authorization: `Bearer ${system === LIMITED ? LIMITED_KEY : DEV_KEY}` },
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
    cpuGroups(system) {
      const servers = recordedServers(join(dir, "stack"));
      const pidOf = (name: string): number[] =>
        servers.filter((x) => x.name === name && x.pid !== undefined).map((x) => x.pid!);
      // The processes a deployment of each topology would run: its ingress, the stage
      // processes it sends to, and the meter, which settles every topology's usage events.
      const labelled = systems.processes().filter((p) => p.profile !== undefined);
      const pick = (...labels: string[]): CpuGroups["own"] =>
        labelled.filter((p) => labels.includes(p.label)).map(({ label, pid }) => ({ label, pid }));
      const stage = (name: string): string => `switchyard-${name}`;
      const own: Record<SystemName, CpuGroups["own"]> = {
        floor: [],
        proxy: [{ label: "proxy", pid: proxy.pid ?? 0 }],
        portkey: [{ label: "portkey", pid: portkey.pid ?? 0 }],
        switchyard: pick("switchyard-ingress", ...["guard", "router", "meter", "provider"].map(stage)),
        "switchyard-inline": pick("switchyard-inline-ingress", stage("meter"), stage("provider")),
        "switchyard-all-inline": pick("switchyard-all-inline-ingress", stage("meter")),
        [LIMITED]: pick(`${LIMITED}-ingress`, stage("meter")),
      };
      return { own: own[system], nats: pidOf("nats"), redis: pidOf("redis"), mock: [mock?.pid ?? 0] };
    },
    processes() {
      const out: MeasuredProcess[] = [
        { label: "mock", pid: mock?.pid ?? 0 },
        { label: "proxy", pid: proxy.pid ?? 0 },
        { label: "portkey", pid: portkey.pid ?? 0 },
      ];
      const ingressOf = new Map([...ingresses].map(([system, i]) => [i.process, system]));
      for (const p of cluster.processes)
        out.push({
          label: ingressOf.has(p) ? `${ingressOf.get(p)}-ingress` : `switchyard-${p.name}`,
          pid: p.child.pid ?? 0,
          profile: join(dir, "profiles", `${p.name}-${p.replica}.cpuprofile`),
        });
      return out;
    },
    setUpstream: startMock,
    folder: dir,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
    stop: stopEverything,
  };
  for (const s of SYSTEMS) await assertReachesMock(mockUrl, systems.target(s, PROBE_BODY), s);
  log("all systems up; each one reached the mock");
  return systems;
}

const PROBE_BODY = JSON.stringify({ model: "mock-gpt", messages: [{ role: "user", content: "probe" }] });

/** One request through `system`; it must answer 2xx and the mock must have recorded it. */
async function assertReachesMock(mockUrl: string, target: Target, system: SystemName): Promise<void> {
  await fetch(`${mockUrl}/_mock/requests`, { method: "DELETE" });
  const res = await fetch(target.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...target.headers },
    body: target.body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  const seen = (await (await fetch(`${mockUrl}/_mock/requests`)).json()) as unknown[];
  if (res.status >= 300 || seen.length !== 1)
    throw new Error(
      `${system} did not reach the mock (status ${res.status}, mock saw ${seen.length}): ${text}`,
    );
}

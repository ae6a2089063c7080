// What the simulation runs against, each piece its own process on loopback: the local stack
// (NATS, Redis) and the MOCK provider for the whole run, and per policy a fresh gateway (ingress,
// guard, router, meter, provider) with its own gateway file and subject/Redis prefixes, so no
// statistics or circuit state carry over from one policy to the next.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
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
} from "@switchyard/devkit";
import { ensureInstalled, freePorts, repoRoot, startStack } from "@switchyard/local-stack";
import { createUndo } from "../undo.js";

const STAGES: ServiceName[] = ["ingress", "guard", "router", "meter", "provider"];
export const SIM_KEY = "sy-sim-key";

export interface SimGateway {
  /** The HTTP door, e.g. http://127.0.0.1:port/v1 */
  httpUrl: string;
  stop(): Promise<void>;
}

export interface SimWorld {
  mockUrl: string;
  /** Sets a MOCK profile's controls (blank clears it). */
  setProfile(name: string, controls: string): Promise<void>;
  /**
   * Starts a fresh pipeline (prefixes of its own) on the local gateway file plus these models
   * and providers; the key is SIM_KEY.
   */
  startGateway(label: string, models: unknown[], providers: Record<string, unknown>): Promise<SimGateway>;
  /** The run's temporary folder (logs, gateway files, the stack's data). */
  readonly folder: string;
  stop(): Promise<void>;
}

const undo = createUndo("router-sim");

/** Stops everything started so far; safe to call twice. */
export const stopEverything = (): Promise<void> => undo.run();

export async function startWorld(log: (line: string) => void): Promise<SimWorld> {
  const root = repoRoot();
  const folder = mkdtempSync(join(tmpdir(), "sy-router-sim-"));
  await ensureInstalled({ log });
  const stack = await startStack({
    ports: await freePorts(),
    dataDir: join(folder, "stack"),
    servers: ["nats", "redis"],
  });
  undo.push(() => stack.stop());

  const mockPort = await freePort();
  const mockUrl = `http://127.0.0.1:${mockPort}`;
  const mockCluster = createCluster({ root, logDir: join(folder, "logs"), metricsPortBase: "free", env: {} });
  undo.push(() => mockCluster.stop());
  const mock = await mockCluster.start(
    "mock-provider",
    { MOCK_PROVIDER_PORT: String(mockPort) },
    `${mockUrl}/healthz`,
  );
  await mockCluster.waitReady(mock);

  const world: SimWorld = {
    mockUrl,
    folder,
    async setProfile(name, controls) {
      const res = await fetch(`${mockUrl}/_mock/profiles/${name}`, { method: "PUT", body: controls });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`mock profile ${name} = "${controls}": ${res.status} ${text}`);
    },
    async startGateway(label, models, providers) {
      const dir = join(folder, label);
      const config = join(dir, "switchyard.yaml");
      const [httpPort, grpcPort] = [await freePort(), await freePort()];
      const prefix = `sim${label.replace(/[^a-z0-9]/gi, "")}${process.pid}`;
      const cluster: Cluster = createCluster({
        root,
        logDir: join(dir, "logs"),
        metricsPortBase: "free",
        env: {
          ...LOCAL_SECRETS,
          SWITCHYARD_NATS_URL: stack.urls.nats,
          SWITCHYARD_REDIS_URL: stack.urls.redis,
          SWITCHYARD_SUBJECT_PREFIX: prefix,
          SWITCHYARD_REDIS_PREFIX: prefix,
          SWITCHYARD_CONFIG: config,
          SWITCHYARD_HTTP_PORT: String(httpPort),
          SWITCHYARD_GRPC_PORT: String(grpcPort),
          SWITCHYARD_ADMIN_PORT: "0",
          SWITCHYARD_LOG_LEVEL: "warn",
          SWITCHYARD_DATA_DIR: join(dir, "data"),
        },
      });
      // createCluster made the folder; the gateway file goes beside the logs.
      writeGatewayConfig(
        config,
        localGatewayConfig({
          mockUrl,
          keys: { sim: { key: SIM_KEY } },
          extraProviders: providers,
          extraModels: models,
        }),
      );
      const stopCluster = (): Promise<void> => cluster.stop();
      undo.push(stopCluster);
      const stop = (): Promise<void> => {
        undo.remove(stopCluster);
        return stopCluster();
      };
      const procs = [];
      for (const name of STAGES) procs.push(await cluster.start(name));
      try {
        await Promise.all(procs.map((p) => cluster.waitReady(p, 60_000)));
      } catch (err) {
        await stop();
        throw new Error(`${(err as Error).message}\n${tailOfLogs(procs.map((p) => p.logFile))}`);
      }
      return { httpUrl: `http://127.0.0.1:${httpPort}/v1`, stop };
    },
    stop: stopEverything,
  };
  return world;
}

/** The last lines of each log that has any, to show why a service would not start. */
function tailOfLogs(files: string[]): string {
  return files
    .map((f) => {
      let lines: string[];
      try {
        lines = readFileSync(f, "utf8").trim().split("\n").slice(-5);
      } catch {
        return "";
      }
      return lines.join("") === "" ? "" : `--- ${f}\n${lines.join("\n")}`;
    })
    .filter((s) => s !== "")
    .join("\n");
}

/** Removes the run's folder. */
export function removeFolder(folder: string): void {
  rmSync(folder, { recursive: true, force: true });
}

// Starts the whole interactive path for a test file: ingress, guard, router, meter and
// provider as separate processes (replicas on request) on the shared test stack, with a MOCK
// provider in-process so tests can read what it received. Unique subject and Redis prefixes
// keep test files apart.
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { ensureStreams } from "@switchyard/common";
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
import { startMockProvider } from "@switchyard/mock-provider";
import { dropStreams } from "./drop-streams.js";
import { repoRoot, tempDir, testStack, uniquePrefix } from "./env.js";

export type MockHandle = Awaited<ReturnType<typeof startMockProvider>>;

export const KEYS = {
  dev: "sy-test-dev-key",
  limited: "sy-test-limited-key",
  restricted: "sy-test-restricted-key",
  admin: "sy-test-admin-key",
} as const;

export interface GatewayUnderTest {
  httpUrl: string;
  /** Every ingress replica's HTTP door (the first is `httpUrl`). */
  httpUrls: string[];
  grpcAddress: string;
  /** The admin API of the first meter replica (http://127.0.0.1:port/admin/v1); "" with none. */
  adminUrl: string;
  prefix: string;
  mock: MockHandle;
  cluster: Cluster;
  /** A NATS connection of the test's own, for reading JetStream. */
  nc: NatsConnection;
  procs(name: ServiceName): ServiceProcess[];
  stop(): Promise<void>;
}

export interface GatewayOptions {
  /** Replicas per service; "orchestrator" (batches) is 0 unless asked for. */
  replicas?: Partial<Record<ServiceName, number>>;
  env?: NodeJS.ProcessEnv;
  /** Environment for one service's processes only (e.g. a stage's own in-flight bound). */
  serviceEnv?: Partial<Record<ServiceName, NodeJS.ProcessEnv>>;
  limitedRpm?: number;
  /** The gateway file's `guard` section (defaults otherwise). */
  guard?: Record<string, unknown>;
  /**
   * Changes the generated gateway file before it is written (teams, limits, more keys); `mockUrl`
   * is the MOCK provider's, for providers of the test's own.
   */
  gatewayFile?: (config: Record<string, unknown>, ctx: { mockUrl: string }) => void;
}

const STAGES: ServiceName[] = ["ingress", "guard", "router", "meter", "provider", "orchestrator"];
/** Services started only when a test asks for replicas of them. */
const OPTIONAL: ReadonlySet<ServiceName> = new Set(["orchestrator"]);

export async function startGateway(opts: GatewayOptions = {}): Promise<GatewayUnderTest> {
  const stack = testStack();
  const prefix = uniquePrefix();
  const dir = tempDir("gw");
  const mock = await startMockProvider({ port: 0 });
  const m = mock.url;
  const openaiVia = (controls: string, extra: Record<string, unknown> = {}) => ({
    type: "openai",
    base_url: `${m}/_mock/${controls}/openai/v1`,
    api_key_env: "MOCK_OPENAI_API_KEY",
    ...extra,
  });
  const fallback = (alias: string, first: string) => ({
    alias,
    deployments: [
      {
        id: `${alias}-first`,
        provider: first,
        model: "mock-gpt",
        input_usd_per_mtok: 0.15,
        output_usd_per_mtok: 0.6,
      },
      {
        id: `${alias}-second`,
        provider: "mock-openai",
        model: "mock-gpt",
        input_usd_per_mtok: 0.15,
        output_usd_per_mtok: 0.6,
      },
    ],
  });
  const config = join(dir, "switchyard.yaml");
  const file = localGatewayConfig({
    mockUrl: m,
    keys: {
      dev: { key: KEYS.dev },
      limited: { key: KEYS.limited, rpm: opts.limitedRpm ?? 2 },
      restricted: { key: KEYS.restricted, models: ["mock-gpt"] },
      admin: { key: KEYS.admin, scopes: ["admin"] },
    },
    extraProviders: {
      "mock-openai-500": openaiVia("error=500"),
      "mock-openai-429": openaiVia("error=429,retry_after=1"),
      "mock-openai-hang": openaiVia("hang=1", { timeout_ms: 500 }),
    },
    extraModels: [
      fallback("fallback-500", "mock-openai-500"),
      fallback("fallback-429", "mock-openai-429"),
      fallback("fallback-timeout", "mock-openai-hang"),
    ],
    guard: opts.guard,
  });
  opts.gatewayFile?.(file, { mockUrl: m });
  writeGatewayConfig(config, file);
  const httpPort = await freePort();
  const grpcPort = await freePort();
  const adminPort = await freePort();
  const cluster = createCluster({
    root: repoRoot(),
    logDir: join(dir, "logs"),
    metricsPortBase: "free",
    env: {
      ...LOCAL_SECRETS,
      SWITCHYARD_NATS_URL: stack.natsUrl,
      SWITCHYARD_REDIS_URL: stack.redisUrl,
      SWITCHYARD_TEMPORAL_ADDRESS: stack.temporalAddress,
      SWITCHYARD_REDIS_PREFIX: prefix,
      SWITCHYARD_SUBJECT_PREFIX: prefix,
      SWITCHYARD_CONFIG: config,
      SWITCHYARD_HTTP_PORT: String(httpPort),
      SWITCHYARD_GRPC_PORT: String(grpcPort),
      SWITCHYARD_LOG_LEVEL: "warn",
      SWITCHYARD_DATA_DIR: join(dir, "data"),
      ...opts.env,
    },
  });
  const nc = await connect({ servers: stack.natsUrl });
  // Streams exist before any stage publishes, so no event of the first request is lost.
  await ensureStreams(nc, prefix);
  const procs: ServiceProcess[] = [];
  const httpUrls = [`http://127.0.0.1:${httpPort}/v1`];
  for (const name of STAGES) {
    const n = opts.replicas?.[name] ?? (OPTIONAL.has(name) ? 0 : 1);
    for (let i = 0; i < n; i++) {
      // The first meter replica's admin API on a known port; the others on any free one.
      const admin = name === "meter" ? { SWITCHYARD_ADMIN_PORT: String(i === 0 ? adminPort : 0) } : {};
      // Further ingress replicas get doors of their own.
      const doors: NodeJS.ProcessEnv = {};
      if (name === "ingress" && i > 0) {
        const port = await freePort();
        httpUrls.push(`http://127.0.0.1:${port}/v1`);
        doors.SWITCHYARD_HTTP_PORT = String(port);
        doors.SWITCHYARD_GRPC_PORT = String(await freePort());
      }
      procs.push(await cluster.start(name, { ...admin, ...doors, ...opts.serviceEnv?.[name] }));
    }
  }
  try {
    await Promise.all(procs.map((p) => cluster.waitReady(p, 60_000)));
  } catch (err) {
    await cluster.stop();
    await mock.close();
    await nc.close();
    throw err;
  }
  return {
    httpUrl: `http://127.0.0.1:${httpPort}/v1`,
    httpUrls,
    grpcAddress: `127.0.0.1:${grpcPort}`,
    adminUrl: (opts.replicas?.meter ?? 1) > 0 ? `http://127.0.0.1:${adminPort}/admin/v1` : "",
    prefix,
    mock,
    cluster,
    nc,
    procs: (name) => cluster.processes.filter((p) => p.name === name),
    async stop() {
      await cluster.stop();
      await mock.close();
      // Best effort: a test that stopped NATS for good has nothing left to free.
      await dropStreams(nc, prefix).catch(() => undefined);
      await nc.close();
    },
  };
}

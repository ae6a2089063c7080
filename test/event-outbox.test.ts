// Usage events survive a NATS outage: an ingress running every stage inline keeps answering
// while NATS is gone for 30 s (longer than any retry window), its events wait in the local
// outbox, and once NATS is back every request's event is in the stream exactly once.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { connect } from "@nats-io/transport-node";
import {
  LOCAL_SECRETS,
  createCluster,
  freePort,
  localGatewayConfig,
  writeGatewayConfig,
  type Cluster,
} from "@switchyard/devkit";
import { freePorts, startStack, type Stack } from "@switchyard/local-stack";
import { startMockProvider } from "@switchyard/mock-provider";
import { repoRoot, tempDir, testStack, uniquePrefix } from "./harness/env.js";
import { readUsageEvents } from "./harness/usage-events.js";

const OUTAGE_MS = 30_000;
const KEY = "sy-outbox-key";

describe("usage events across a NATS outage", () => {
  let stack: Stack;
  let cluster: Cluster;
  let mock: Awaited<ReturnType<typeof startMockProvider>>;
  let httpUrl: string;
  const prefix = uniquePrefix();
  const dir = tempDir("outbox");

  before(async () => {
    stack = await startStack({ ports: await freePorts(), dataDir: join(dir, "stack"), servers: ["nats"] });
    mock = await startMockProvider({ port: 0 });
    const config = join(dir, "switchyard.yaml");
    writeGatewayConfig(config, localGatewayConfig({ mockUrl: mock.url, keys: { dev: { key: KEY } } }));
    const httpPort = await freePort();
    httpUrl = `http://127.0.0.1:${httpPort}/v1`;
    cluster = createCluster({
      root: repoRoot(),
      logDir: join(dir, "logs"),
      metricsPortBase: "free",
      env: {
        ...LOCAL_SECRETS,
        SWITCHYARD_NATS_URL: stack.urls.nats,
        SWITCHYARD_REDIS_URL: testStack().redisUrl,
        SWITCHYARD_REDIS_PREFIX: prefix,
        SWITCHYARD_SUBJECT_PREFIX: prefix,
        SWITCHYARD_CONFIG: config,
        SWITCHYARD_HTTP_PORT: String(httpPort),
        SWITCHYARD_GRPC_PORT: String(await freePort()),
        SWITCHYARD_INLINE_STAGES: "guard,router,meter,provider",
        SWITCHYARD_DATA_DIR: join(dir, "data"),
        SWITCHYARD_LOG_LEVEL: "warn",
      },
    });
    await cluster.waitReady(await cluster.start("ingress"), 60_000);
  });

  after(async () => {
    await cluster?.stop();
    await mock?.close();
    await stack?.stop();
  });

  it("keeps every request's event, exactly once, through 30 s without NATS", async () => {
    const answered: string[] = [];
    const failed: string[] = [];
    let n = 0;
    let running = true;
    // Four clients, each asking about ten times a second, for the whole test.
    const traffic = Array.from({ length: 4 }, async () => {
      while (running) {
        const id = `outbox-${n++}`;
        const res = await fetch(`${httpUrl}/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json", "x-request-id": id },
          body: JSON.stringify({ model: "mock-gpt", messages: [{ role: "user", content: "hi" }] }),
        });
        await res.body?.cancel();
        (res.status === 200 ? answered : failed).push(id);
        await sleep(100);
      }
    });
    await sleep(2000);
    await stack.kill("nats");
    const down = answered.length;
    await sleep(OUTAGE_MS);
    const duringOutage = answered.length - down;
    await stack.start("nats");
    await sleep(2000);
    running = false;
    await Promise.all(traffic);

    assert.deepEqual(failed, [], "every request was answered, NATS or not");
    assert.ok(duringOutage > 100, `requests answered while NATS was down: ${duringOutage}`);

    const nc = await connect({ servers: stack.urls.nats });
    try {
      const want = new Set(answered);
      let counts = new Map<string, number>();
      for (const until = Date.now() + 30_000; Date.now() < until; await sleep(250)) {
        counts = new Map();
        for (const e of await readUsageEvents(nc, prefix))
          counts.set(e.requestId, (counts.get(e.requestId) ?? 0) + 1);
        if ([...want].every((id) => counts.has(id))) break;
      }
      const missing = answered.filter((id) => !counts.has(id));
      const doubled = [...counts].filter(([, c]) => c > 1).map(([id]) => id);
      const unknown = [...counts.keys()].filter((id) => !want.has(id));
      assert.deepEqual({ missing, doubled, unknown }, { missing: [], doubled: [], unknown: [] });
      console.log(`requests: ${answered.length}, ${duringOutage} during the outage; events: ${counts.size}`);
    } finally {
      await nc.close();
    }
  });
});

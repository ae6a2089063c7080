// /readyz says ready only once a service has finished starting. Here ingress's start hangs on
// an inline meter whose Redis accepts the connection but never answers: while it hangs,
// /readyz must answer 503 "starting" and the HTTP door must not be open yet.
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  LOCAL_SECRETS,
  createCluster,
  freePort,
  localGatewayConfig,
  writeGatewayConfig,
  type Cluster,
} from "@switchyard/devkit";
import { repoRoot, tempDir, testStack, uniquePrefix } from "./harness/env.js";

describe("readiness", () => {
  let silent: Server;
  const sockets: Socket[] = [];
  let cluster: Cluster;

  before(() => {
    silent = createServer((s) => void sockets.push(s)).listen(0, "127.0.0.1");
  });
  after(async () => {
    await cluster?.stop();
    for (const s of sockets) s.destroy();
    silent?.close();
  });

  it("is 503 'starting' until start has finished, then the door is open", async () => {
    const dir = tempDir("ready");
    const config = join(dir, "switchyard.yaml");
    writeGatewayConfig(
      config,
      localGatewayConfig({ mockUrl: "http://127.0.0.1:1", keys: { dev: { key: "k" } } }),
    );
    const httpPort = await freePort();
    const silentPort = (silent.address() as { port: number }).port;
    cluster = createCluster({
      root: repoRoot(),
      logDir: join(dir, "logs"),
      metricsPortBase: "free",
      env: {
        ...LOCAL_SECRETS,
        SWITCHYARD_NATS_URL: testStack().natsUrl,
        SWITCHYARD_SUBJECT_PREFIX: uniquePrefix(),
        SWITCHYARD_CONFIG: config,
        SWITCHYARD_HTTP_PORT: String(httpPort),
        SWITCHYARD_GRPC_PORT: String(await freePort()),
        SWITCHYARD_INLINE_STAGES: "meter",
        SWITCHYARD_REDIS_URL: `redis://127.0.0.1:${silentPort}`,
        SWITCHYARD_LOG_LEVEL: "warn",
      },
    });
    const ingress = await cluster.start("ingress");
    let answer: { status: number; body: string } | undefined;
    for (let i = 0; i < 100 && answer === undefined; i++) {
      try {
        const res = await fetch(`http://127.0.0.1:${ingress.metricsPort}/readyz`);
        answer = { status: res.status, body: await res.text() };
      } catch {
        await sleep(50);
      }
    }
    assert.equal(answer?.status, 503);
    assert.match(answer?.body ?? "", /starting/);
    await assert.rejects(fetch(`http://127.0.0.1:${httpPort}/v1/models`), "the HTTP door is not open yet");
    // Redis never answers; once ingress gives up waiting it finishes starting and listens.
    for (const s of sockets) s.destroy();
    silent.close();
    let open = false;
    for (let i = 0; i < 300 && !open; i++) {
      open = await fetch(`http://127.0.0.1:${httpPort}/v1/models`).then(
        () => true,
        () => false,
      );
      if (!open) await sleep(50);
    }
    assert.ok(open, "ingress listens once it has started");
  });
});

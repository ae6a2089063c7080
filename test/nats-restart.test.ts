// A service outlives a NATS restart: it reports not-ready while NATS is down, and is ready and
// doing work again after NATS comes back, without a restart of its own.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { create } from "@bufbuild/protobuf";
import { decodeReply, encodeEnvelope, subjects } from "@switchyard/common";
import {
  createCluster,
  localGatewayConfig,
  writeGatewayConfig,
  type Cluster,
  type ServiceProcess,
} from "@switchyard/devkit";
import { freePorts, startStack, type Stack } from "@switchyard/local-stack";
import { EnvelopeSchema, RequestKind } from "@switchyard/proto";
import { repoRoot, tempDir, uniquePrefix } from "./harness/env.js";

async function readyz(proc: ServiceProcess): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${proc.metricsPort}/readyz`, {
      signal: AbortSignal.timeout(1000),
    });
    await res.body?.cancel();
    return res.status;
  } catch {
    return 0;
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await sleep(100);
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe("NATS restart under a running service", () => {
  let stack: Stack;
  let cluster: Cluster;
  let router: ServiceProcess;
  const prefix = uniquePrefix();
  const dir = tempDir("nats-restart");

  before(async () => {
    stack = await startStack({ ports: await freePorts(), dataDir: join(dir, "stack"), servers: ["nats"] });
    const config = join(dir, "switchyard.yaml");
    writeGatewayConfig(
      config,
      localGatewayConfig({ mockUrl: "http://127.0.0.1:1", keys: { dev: { key: "k" } } }),
    );
    cluster = createCluster({
      root: repoRoot(),
      logDir: join(dir, "logs"),
      metricsPortBase: "free",
      env: {
        SWITCHYARD_NATS_URL: stack.urls.nats,
        SWITCHYARD_CONFIG: config,
        SWITCHYARD_SUBJECT_PREFIX: prefix,
      },
    });
    router = await cluster.start("router");
    await cluster.waitReady(router);
  });

  after(async () => {
    await cluster?.stop();
    await stack?.stop();
  });

  async function askRouter(nc: NatsConnection): Promise<string> {
    const s = subjects(prefix);
    const inbox = `${s.inboxPrefix}.probe.${Date.now()}`;
    const sub = nc.subscribe(inbox, { max: 1 });
    const env = create(EnvelopeSchema, {
      requestId: `probe${Date.now()}`,
      deadlineUnixMs: BigInt(Date.now() + 5000),
      itinerary: [],
      replySubject: inbox,
      kind: RequestKind.CHAT,
      model: "no-such-model",
    });
    nc.publish(s.stage("router"), encodeEnvelope(env));
    for await (const m of sub) {
      const reply = decodeReply(m.data);
      return reply.result.case === "error" ? reply.result.value.code : "no error";
    }
    return "no reply";
  }

  it("goes not-ready when NATS dies and ready again when it returns, same process", async () => {
    const pid = router.child.pid;
    assert.equal(await readyz(router), 200);

    await stack.kill("nats");
    await waitFor("router to report not ready", async () => (await readyz(router)) === 503, 10_000);

    await stack.start("nats");
    await waitFor("router to be ready again", async () => (await readyz(router)) === 200, 15_000);
    assert.equal(router.child.pid, pid);
    assert.equal(router.child.exitCode, null, "the service did not restart");

    // And it still does its work: its queue subscription came back with the connection.
    const nc = await connect({ servers: stack.urls.nats });
    try {
      assert.equal(await askRouter(nc), "not_found");
    } finally {
      await nc.close();
    }
  });
});

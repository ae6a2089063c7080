// Starts the real servers on free ports in a temporary data folder and talks their protocols.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ensureInstalled, freePorts, isPortFree, startStack } from "./index.js";
import type { Stack, StackPorts } from "./index.js";
import { venvBin } from "./paths.js";
import { PORT_KEYS, isPortOpen } from "./ports.js";
import { runOk } from "./proc.js";
import { httpText, natsInfo, tcpExchange } from "./wire.js";

/** One request/reply over the raw NATS protocol; returns the reply payload. */
async function natsRequest(port: number, subject: string, payload: string): Promise<string> {
  const inbox = "_INBOX.spec";
  const send =
    `CONNECT {"verbose":false,"pedantic":false}\r\nSUB ${inbox} 1\r\n` +
    `PUB ${subject} ${inbox} ${Buffer.byteLength(payload)}\r\n${payload}\r\n`;
  const msg = /MSG \S+ 1 (\d+)\r\n/;
  const text = await tcpExchange(
    port,
    send,
    (t) => {
      const m = msg.exec(t);
      return m !== null && t.length >= m.index + m[0].length + Number(m[1]) + 2;
    },
    5000,
  );
  const m = msg.exec(text);
  assert.ok(m, `no reply on ${subject}: ${text}`);
  return text.slice(m.index + m[0].length, m.index + m[0].length + Number(m[1]));
}

const clickhouse = async (port: number, sql: string): Promise<string> => {
  const res = await httpText(`http://127.0.0.1:${port}/`, { body: sql, timeoutMs: 5000 });
  assert.equal(res.status, 200, `${sql}\n${res.text}`);
  return res.text;
};

const temporal = (port: number, ...args: string[]): Promise<string> =>
  runOk(venvBin("temporal"), [...args, "--address", `127.0.0.1:${port}`, "-n", "default"], {
    timeoutMs: 10_000,
  });

void describe("local stack", () => {
  let dataDir = "";
  let ports: StackPorts;
  let stack: Stack | undefined;

  before(async () => {
    await ensureInstalled();
    dataDir = mkdtempSync(join(tmpdir(), "switchyard-stack-"));
    ports = await freePorts();
    stack = await startStack({ ports, dataDir });
  });

  after(async () => {
    await stack?.stop();
    if (dataDir !== "") rmSync(dataDir, { recursive: true, force: true });
  });

  void it("a second ensureInstalled() is quick because nothing is missing", async () => {
    const t0 = performance.now();
    await ensureInstalled();
    assert.ok(performance.now() - t0 < 2000, `took ${performance.now() - t0}ms`);
  });

  void it("gives URLs on 127.0.0.1 for each server", () => {
    assert.deepEqual(stack?.urls, {
      nats: `nats://127.0.0.1:${ports.nats}`,
      redis: `redis://127.0.0.1:${ports.redis}`,
      clickhouse: `http://127.0.0.1:${ports.clickhouseHttp}`,
      temporal: `127.0.0.1:${ports.temporal}`,
    });
  });

  void it("NATS answers with JetStream on, and stores a message in a file stream", async () => {
    const info = await natsInfo(ports.nats);
    assert.equal(info.jetstream, true);
    const created = JSON.parse(
      await natsRequest(
        ports.nats,
        "$JS.API.STREAM.CREATE.SPEC",
        JSON.stringify({ name: "SPEC", subjects: ["spec.>"], storage: "file" }),
      ),
    ) as { config?: { name: string }; error?: unknown };
    assert.equal(created.config?.name, "SPEC", JSON.stringify(created));
    const ack = JSON.parse(await natsRequest(ports.nats, "spec.one", "hello")) as {
      stream: string;
      seq: number;
    };
    assert.deepEqual(ack, { stream: "SPEC", seq: 1 });
  });

  void it("Redis stores and returns a value", async () => {
    const reply = await tcpExchange(ports.redis, "SET greeting hello\r\nGET greeting\r\n", (t) =>
      t.endsWith("hello\r\n"),
    );
    assert.equal(reply, "+OK\r\n$5\r\nhello\r\n");
  });

  void it("ClickHouse runs DDL with LowCardinality (experimental setting on) and answers queries", async () => {
    await clickhouse(
      ports.clickhouseHttp,
      "CREATE TABLE default.spec_usage (day Date, model LowCardinality(String), tokens UInt64) " +
        "ENGINE = MergeTree() PARTITION BY toYYYYMM(day) ORDER BY (model, day)",
    );
    await clickhouse(
      ports.clickhouseHttp,
      "INSERT INTO default.spec_usage VALUES ('2026-01-05', 'gpt', 10), ('2026-02-06', 'gpt', 5)",
    );
    const sum = await clickhouse(
      ports.clickhouseHttp,
      "SELECT model, sum(tokens) FROM default.spec_usage GROUP BY model FORMAT TabSeparated",
    );
    assert.equal(sum, "gpt\t15\n");
    assert.equal(await isPortOpen(ports.clickhouseTcp), true, "native TCP port");
  });

  void it("Temporal accepts a workflow and reports it running", async () => {
    await temporal(
      ports.temporal,
      "workflow",
      "start",
      "--type",
      "SpecWorkflow",
      "--task-queue",
      "spec",
      "--workflow-id",
      "spec-1",
    );
    const described = JSON.parse(
      await temporal(ports.temporal, "workflow", "describe", "--workflow-id", "spec-1", "--output", "json"),
    ) as { workflowExecutionInfo: { status: string } };
    assert.match(described.workflowExecutionInfo.status, /RUNNING/);
  });

  void it("NATS killed with SIGKILL comes back on the same port with its stream", async () => {
    assert.ok(stack);
    await stack.kill("nats");
    assert.equal(await isPortOpen(ports.nats), false, "port closed after kill");
    await stack.start("nats");
    assert.equal((await natsInfo(ports.nats)).jetstream, true);
    const info = JSON.parse(await natsRequest(ports.nats, "$JS.API.STREAM.INFO.SPEC", "")) as {
      state?: { messages: number };
    };
    assert.equal(info.state?.messages, 1, JSON.stringify(info));
  });

  void it("a port already in use fails with the port, the server and the setting that moves it", async () => {
    const otherDir = mkdtempSync(join(tmpdir(), "switchyard-stack-"));
    try {
      await assert.rejects(
        startStack({ ports: { ...(await freePorts()), nats: ports.nats }, dataDir: otherDir }),
        (err: Error) =>
          err.message.includes(
            `port ${ports.nats} for NATS is already in use; set SWITCHYARD_NATS_PORT to another port`,
          ),
      );
      // nothing was started for the failed stack
      assert.deepEqual(readdirSync(join(otherDir, "pids")), []);
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
  });

  void it("stop() ends every server and frees every port", async () => {
    assert.ok(stack);
    await stack.stop();
    for (const key of PORT_KEYS) {
      assert.equal(await isPortFree(ports[key]), true, `${key} port ${ports[key]}`);
    }
    for (const name of ["nats", "redis", "clickhouse", "temporal"]) {
      assert.equal(existsSync(join(dataDir, "pids", `${name}.pid`)), false, `${name}.pid`);
    }
  });
});

import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { DEFAULT_PORTS, PORT_ENV, PORT_KEYS, freePorts, isPortFree, portsFromEnv } from "./ports.js";

void describe("portsFromEnv", () => {
  void it("uses the well-known ports when nothing is set", () => {
    assert.deepEqual(portsFromEnv({}), {
      nats: 4222,
      natsMonitor: 8222,
      redis: 6379,
      clickhouseHttp: 8123,
      clickhouseTcp: 9000,
      temporal: 7233,
      temporalUi: 8233,
    });
  });

  void it("moves each port with its SWITCHYARD_*_PORT variable", () => {
    const ports = portsFromEnv({ SWITCHYARD_NATS_PORT: "14222", SWITCHYARD_CLICKHOUSE_TCP_PORT: " 19000 " });
    assert.deepEqual(ports, { ...DEFAULT_PORTS, nats: 14222, clickhouseTcp: 19000 });
  });

  void it("rejects a bad value with an error naming the variable", () => {
    for (const bad of ["abc", "0", "65536", "80.5", "-1"]) {
      assert.throws(
        () => portsFromEnv({ [PORT_ENV.redis]: bad }),
        (err: Error) => err.message.includes("SWITCHYARD_REDIS_PORT") && err.message.includes(bad),
        bad,
      );
    }
  });
});

void describe("freePorts", () => {
  void it("returns seven distinct ports that can be bound", async () => {
    const free = await freePorts();
    const ports = PORT_KEYS.map((key) => free[key]);
    assert.equal(new Set(ports).size, 7);
    for (const port of ports) assert.equal(await isPortFree(port), true, `port ${port}`);
  });

  void it("isPortFree sees a port someone listens on", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    try {
      assert.equal(await isPortFree(port), false);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

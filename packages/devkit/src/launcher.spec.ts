import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createCluster } from "./launcher.js";

const root = mkdtempSync(join(tmpdir(), "sy-launcher-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** Puts a stand-in `services/<name>/dist/main.js` under `root` for the launcher to start. */
function fakeService(name: string, source: string): void {
  const dist = join(root, "services", name, "dist");
  mkdirSync(dist, { recursive: true });
  writeFileSync(join(dist, "main.js"), source);
}

void describe("launcher logs", () => {
  void it("keeps what a service writes to stderr after its stdout has closed", async () => {
    // A process's two pipes close independently (a library closing fd 1, a child process
    // holding stderr open); the log file must stay open until both have.
    fakeService(
      "ingress",
      `const fs = require("node:fs");
       fs.writeSync(1, "first line on stdout\\n");
       fs.closeSync(1);
       setTimeout(() => { fs.writeSync(2, "late line on stderr\\n"); process.exit(3); }, 200);`,
    );
    const cluster = createCluster({ root, logDir: join(root, "logs"), metricsPortBase: "free", env: {} });
    const proc = await cluster.start("ingress");
    assert.equal(await proc.exited, 3);
    let log = "";
    for (let i = 0; i < 40 && !log.includes("late line"); i++) {
      await sleep(50);
      log = readFileSync(proc.logFile, "utf8");
    }
    assert.match(log, /first line on stdout/);
    assert.match(log, /late line on stderr/);
    await cluster.stop();
  });
});

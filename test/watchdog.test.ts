// A service ends on time even when its event loop cannot run: stuck for longer than the stall
// limit, or stuck in its drain past the shutdown deadline. The watchdog thread kills it and
// says why.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "@switchyard/devkit";
import { repoRoot, testStack } from "./harness/env.js";

async function runStuck(mode: string, env: NodeJS.ProcessEnv, afterReady?: (pid: number) => void) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--conditions=source", join(repoRoot(), "test", "fixtures", "stuck-service.ts")],
    {
      env: {
        ...process.env,
        STUCK: mode,
        SWITCHYARD_NATS_URL: testStack().natsUrl,
        SWITCHYARD_METRICS_PORT: String(port),
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once("exit", (code, signal) => resolve(signal ?? code)),
  );
  for (let i = 0; i < 200 && !out.includes("stuck ready"); i++) await sleep(50);
  assert.match(out, /stuck ready/);
  const readyAt = Date.now();
  afterReady?.(child.pid!);
  return { exit: await exited, afterMs: Date.now() - readyAt, out: () => out };
}

describe("watchdog", () => {
  it("kills a process whose event loop is stuck past the stall limit", async () => {
    const r = await runStuck("loop", { SWITCHYARD_STALL_TIMEOUT_MS: "1500" });
    assert.equal(r.exit, "SIGKILL");
    assert.match(r.out(), /event loop stalled for \d+ ms/);
    assert.ok(r.afterMs < 4000, `ended ${r.afterMs} ms after start`);
  });

  it("ends a drain stuck past the shutdown deadline", async () => {
    let termAt = 0;
    const r = await runStuck("drain", { SWITCHYARD_SHUTDOWN_TIMEOUT_MS: "1000" }, (pid) => {
      setTimeout(() => {
        termAt = Date.now();
        process.kill(pid, "SIGTERM");
      }, 300);
    });
    assert.equal(r.exit, "SIGKILL");
    assert.match(r.out(), /shutdown deadline passed/);
    const sinceTerm = Date.now() - termAt;
    assert.ok(sinceTerm < 3000, `ended ${sinceTerm} ms after SIGTERM`);
  });
});

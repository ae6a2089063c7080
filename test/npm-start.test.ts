// `npm start`'s launcher: every service reaches /readyz 200, the dev key works, a service killed
// from outside is restarted, and Ctrl-C (SIGINT) stops every process — a stuck one too, within
// the grace period — and frees every port. Runs on free ports and a private data dir, never
// those of a developer's own `npm start`.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { PIPELINE_SERVICES, freePort } from "@switchyard/devkit";
import { PORT_ENV, freePorts, isPortFree } from "@switchyard/local-stack";
import { repoRoot, tempDir } from "./harness/env.js";

/** A run of `count` consecutive free ports. */
async function freeRun(count: number): Promise<number> {
  for (;;) {
    const base = await freePort();
    if (base + count > 65535) continue;
    const free = await Promise.all(Array.from({ length: count }, (_, i) => isPortFree(base + i)));
    if (free.every(Boolean)) return base;
  }
}

/** Pids of live processes whose command line or environment mentions `text`. */
function processesMentioning(text: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      if (/^State:\s+Z/m.test(status)) continue; // a zombie is gone, waiting to be reaped
      const seen =
        readFileSync(`/proc/${pid}/cmdline`, "utf8") + readFileSync(`/proc/${pid}/environ`, "utf8");
      if (seen.includes(text)) out.push(pid);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}

/** The pid of the service serving metrics on `port`. */
function serviceOnPort(port: number): number {
  const [pid] = processesMentioning(`SWITCHYARD_METRICS_PORT=${port}\0`);
  assert.ok(pid, `no service with metrics port ${port}`);
  return pid;
}

async function readyz(port: number): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return res.status;
  } catch {
    return 0;
  }
}

describe("npm start", () => {
  it("brings every service to ready and leaves nothing behind on Ctrl-C", async () => {
    const stackPorts = await freePorts();
    const http = await freePort();
    const grpc = await freePort();
    const mock = await freePort();
    const adminPort = await freePort();
    const metricsBase = await freeRun(PIPELINE_SERVICES.length);
    const dataDir = tempDir("npm-start");
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SWITCHYARD_DATA_DIR: dataDir,
      SWITCHYARD_STOP_GRACE_MS: "3000",
      SWITCHYARD_DEV_KEY: "sy-start-test-key",
      SWITCHYARD_ADMIN_KEY: "sy-start-test-admin-key",
      SWITCHYARD_ADMIN_PORT: String(adminPort),
      SWITCHYARD_HTTP_PORT: String(http),
      SWITCHYARD_GRPC_PORT: String(grpc),
      SWITCHYARD_MOCK_PORT: String(mock),
      SWITCHYARD_METRICS_PORT_BASE: String(metricsBase),
    };
    for (const [k, v] of Object.entries(stackPorts)) env[PORT_ENV[k as keyof typeof PORT_ENV]] = String(v);

    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--conditions=source", join(repoRoot(), "scripts", "start.ts")],
      {
        cwd: repoRoot(),
        env,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      for (let i = 0; i < 600 && !out.includes("Press Ctrl-C"); i++) {
        if (child.exitCode !== null) assert.fail(`npm start exited early:\n${out}`);
        await sleep(100);
      }
      assert.match(out, new RegExp(`http://127\\.0\\.0\\.1:${http}/v1`));
      assert.match(out, new RegExp(`127\\.0\\.0\\.1:${grpc}`));
      assert.match(out, /sy-start-test-key/);

      for (let i = 0; i < PIPELINE_SERVICES.length; i++) {
        const res = await fetch(`http://127.0.0.1:${metricsBase + i}/readyz`);
        assert.equal(res.status, 200, `${PIPELINE_SERVICES[i]} ready`);
      }
      const chat = await fetch(`http://127.0.0.1:${http}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: "Bearer sy-start-test-key", "content-type": "application/json" },
        body: JSON.stringify({ model: "mock-gpt", messages: [{ role: "user", content: "hi" }] }),
      });
      assert.equal(chat.status, 200);
      // The admin API answers the admin key npm start printed.
      assert.match(out, /sy-start-test-admin-key/);
      const tenants = await fetch(`http://127.0.0.1:${adminPort}/admin/v1/tenants`, {
        headers: { authorization: "Bearer sy-start-test-admin-key" },
      });
      assert.equal(tenants.status, 200);

      // A stage killed from outside comes back, on its own port, as a new process.
      const guardPort = metricsBase + PIPELINE_SERVICES.indexOf("guard");
      const guard = serviceOnPort(guardPort);
      process.kill(guard, "SIGKILL");
      for (
        let i = 0;
        i < 200 &&
        !(out.includes("guard (replica 0) exited unexpectedly") && (await readyz(guardPort)) === 200);
        i++
      )
        await sleep(100);
      assert.match(out, /guard \(replica 0\) exited unexpectedly \(SIGKILL\); restarting in \d+ ms/);
      assert.equal(await readyz(guardPort), 200, "the guard is back");
      assert.notEqual(serviceOnPort(guardPort), guard);

      // A stuck stage (stopped: it cannot handle SIGTERM) does not hold up Ctrl-C.
      process.kill(serviceOnPort(metricsBase + PIPELINE_SERVICES.indexOf("router")), "SIGSTOP");
    } finally {
      const t0 = Date.now();
      child.kill("SIGINT");
      assert.equal(await exited, 0, out);
      // The 3 s grace, then the stack's own stop.
      assert.ok(Date.now() - t0 < 20_000, `Ctrl-C took ${Date.now() - t0} ms`);
    }
    assert.deepEqual(processesMentioning(dataDir), [], "no process of this run is left");
    const ports = [
      http,
      grpc,
      mock,
      adminPort,
      ...(Object.values(stackPorts) as number[]),
      ...PIPELINE_SERVICES.map((_, i) => metricsBase + i),
    ];
    for (const p of ports) assert.equal(await isPortFree(p), true, `port ${p} is free after Ctrl-C`);
  });
});

// A watchdog on a thread of its own, so a service ends even when its event loop cannot run:
// past the shutdown deadline once SIGTERM was handled, or when the loop has not turned for
// SWITCHYARD_STALL_TIMEOUT_MS (a stuck process is of no use; whoever supervises it restarts
// it). Either way it writes one line saying why, then SIGKILLs its own process.
import { Worker } from "node:worker_threads";

export interface Watchdog {
  /** From now on, the process ends by `ms` from now whatever its event loop does. */
  shutdownWithin(ms: number): void;
}

// Runs in the worker: sleeps on a shared cell and reads the main thread's last tick and the
// shutdown deadline from shared memory, which the main thread writes without waiting.
const WORKER = `
const { workerData } = require("node:worker_threads");
const { writeSync } = require("node:fs");
const times = new Float64Array(workerData.shared, 0, 2);
const sleeper = new Int32Array(workerData.shared, 16, 1);
const die = (why) => {
  writeSync(2, JSON.stringify({ level: 60, time: Date.now(), service: workerData.service, msg: why }) + "\\n");
  process.kill(process.pid, "SIGKILL");
};
for (;;) {
  Atomics.wait(sleeper, 0, 0, 250);
  const now = Date.now();
  if (times[1] > 0 && now > times[1]) die("shutdown deadline passed; killing the process");
  if (now - times[0] > workerData.stallMs)
    die("event loop stalled for " + (now - times[0]) + " ms; killing the process");
}
`;

const TICK_MS = 250;

export function startWatchdog(opts: { service: string; stallMs: number }): Watchdog {
  const shared = new SharedArrayBuffer(24);
  const times = new Float64Array(shared, 0, 2);
  times[0] = Date.now();
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { shared, stallMs: opts.stallMs, service: opts.service },
  });
  worker.unref();
  const tick = setInterval(() => (times[0] = Date.now()), TICK_MS);
  tick.unref();
  return {
    shutdownWithin(ms) {
      times[1] = Date.now() + ms;
    },
  };
}

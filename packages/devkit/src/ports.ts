import { createServer } from "node:net";

/** Resolves when nothing listens on 127.0.0.1:port; otherwise rejects naming the setting that moves it. */
export function assertPortFree(port: number, what: string, setting: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", () =>
      reject(new Error(`port ${port} for ${what} is already in use; set ${setting} to another port`)),
    );
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve()));
  });
}

/** Ports this process has handed out, never handed out again. */
const handedOut = new Set<number>();

// Below Linux's ephemeral range (32768+): the kernel never picks these for outgoing
// connections or for listen(0), so test processes running side by side, each picking at
// random, rarely meet. Asking the kernel for port 0 instead hands the just-probed port to the
// next process that asks, and two processes then start servers on the same port.
const RANGE = { from: 15_000, to: 32_000 };

/** A port that is free right now, chosen at random, never one this process handed out before. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = RANGE.from + Math.floor(Math.random() * (RANGE.to - RANGE.from));
    if (handedOut.has(port) || !(await canBind(port))) continue;
    handedOut.add(port);
    return port;
  }
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

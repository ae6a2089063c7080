// Minimal wire clients (plain TCP and HTTP on 127.0.0.1) for readiness probes and tests.
import { connect } from "node:net";

/**
 * Connects to 127.0.0.1:port, writes `send` (if any), and resolves with everything read once
 * `until(text)` holds. Rejects on connection errors, early close or timeout.
 */
export function tcpExchange(
  port: number,
  send: string | undefined,
  until: (text: string) => boolean,
  timeoutMs = 2000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1" });
    let text = "";
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (err) reject(err);
      else resolve(text);
    };
    socket.setTimeout(timeoutMs, () => finish(new Error(`no answer on port ${port} within ${timeoutMs}ms`)));
    socket.once("error", (err) => finish(err));
    socket.once("close", () =>
      finish(new Error(`port ${port} closed the connection; got ${JSON.stringify(text)}`)),
    );
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
      if (until(text)) finish();
    });
    socket.once("connect", () => {
      if (send !== undefined) socket.write(send);
    });
  });
}

export async function httpText(
  url: string,
  init: { method?: string; body?: string; timeoutMs?: number } = {},
): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    body: init.body,
    signal: AbortSignal.timeout(init.timeoutMs ?? 2000),
  });
  return { status: res.status, text: await res.text() };
}

/** The JSON of the INFO line a NATS server sends first on every client connection. */
export async function natsInfo(port: number, timeoutMs = 2000): Promise<Record<string, unknown>> {
  const text = await tcpExchange(port, undefined, (t) => t.includes("\r\n"), timeoutMs);
  const line = text.slice(0, text.indexOf("\r\n"));
  if (!line.startsWith("INFO ")) throw new Error(`expected a NATS INFO line, got ${JSON.stringify(line)}`);
  return JSON.parse(line.slice(5)) as Record<string, unknown>;
}

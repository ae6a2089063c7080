// Each service's small HTTP side server: Prometheus /metrics, liveness /healthz and readiness
// /readyz (200 only while every readiness check passes, e.g. NATS connected).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Registry, collectDefaultMetrics } from "prom-client";

export type ReadinessCheck = () => boolean | string;

export interface SideServer {
  readonly registry: Registry;
  readonly port: number;
  addReadiness(name: string, check: ReadinessCheck): void;
  close(): Promise<void>;
}

export async function startSideServer(opts: {
  port: number;
  host?: string;
  service: string;
}): Promise<SideServer> {
  const registry = new Registry();
  registry.setDefaultLabels({ service: opts.service });
  collectDefaultMetrics({ register: registry });
  const checks = new Map<string, ReadinessCheck>();
  let shuttingDown = false;

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/metrics") {
      registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    } else if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    } else if (path === "/readyz") {
      const failing = shuttingDown ? ["shutting down"] : readinessFailures(checks);
      if (failing.length === 0) res.writeHead(200, { "content-type": "text/plain" }).end("ready\n");
      else res.writeHead(503, { "content-type": "text/plain" }).end(`not ready: ${failing.join(", ")}\n`);
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    }
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host ?? "127.0.0.1", () => resolve());
  });
  return {
    registry,
    port: (server.address() as AddressInfo).port,
    addReadiness: (name, check) => void checks.set(name, check),
    close: () => {
      shuttingDown = true;
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function readinessFailures(checks: Map<string, ReadinessCheck>): string[] {
  const failing: string[] = [];
  for (const [name, check] of checks) {
    const result = check();
    if (result !== true) failing.push(typeof result === "string" ? `${name} (${result})` : name);
  }
  return failing;
}

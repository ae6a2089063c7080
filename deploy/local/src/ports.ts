// Port settings for the local stack: defaults, env overrides, free-port discovery and probes.
import { createServer, connect } from "node:net";
import type { AddressInfo } from "node:net";

export type ServerName = "nats" | "redis" | "clickhouse" | "temporal";

export interface StackPorts {
  nats: number;
  natsMonitor: number;
  redis: number;
  clickhouseHttp: number;
  clickhouseTcp: number;
  temporal: number;
  temporalUi: number;
}

export const DEFAULT_PORTS: StackPorts = Object.freeze({
  nats: 4222,
  natsMonitor: 8222,
  redis: 6379,
  clickhouseHttp: 8123,
  clickhouseTcp: 9000,
  temporal: 7233,
  temporalUi: 8233,
});

export const PORT_ENV: Record<keyof StackPorts, string> = Object.freeze({
  nats: "SWITCHYARD_NATS_PORT",
  natsMonitor: "SWITCHYARD_NATS_MONITOR_PORT",
  redis: "SWITCHYARD_REDIS_PORT",
  clickhouseHttp: "SWITCHYARD_CLICKHOUSE_HTTP_PORT",
  clickhouseTcp: "SWITCHYARD_CLICKHOUSE_TCP_PORT",
  temporal: "SWITCHYARD_TEMPORAL_PORT",
  temporalUi: "SWITCHYARD_TEMPORAL_UI_PORT",
});

export const PORT_KEYS = Object.keys(DEFAULT_PORTS) as (keyof StackPorts)[];

/** Which ports each server binds, and the name people know it by. */
export const SERVER_PORTS: Record<ServerName, { label: string; ports: (keyof StackPorts)[] }> = {
  nats: { label: "NATS", ports: ["nats", "natsMonitor"] },
  redis: { label: "Redis", ports: ["redis"] },
  clickhouse: { label: "ClickHouse", ports: ["clickhouseHttp", "clickhouseTcp"] },
  temporal: { label: "Temporal", ports: ["temporal", "temporalUi"] },
};

export const ALL_SERVERS: readonly ServerName[] = ["nats", "redis", "clickhouse", "temporal"];

/** Defaults overridden by SWITCHYARD_*_PORT variables; an empty variable counts as unset. */
export function portsFromEnv(env: NodeJS.ProcessEnv): StackPorts {
  const ports = { ...DEFAULT_PORTS };
  for (const key of PORT_KEYS) {
    const name = PORT_ENV[key];
    const raw = env[name]?.trim();
    if (raw === undefined || raw === "") continue;
    const port = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`${name} must be a port number from 1 to 65535, got ${JSON.stringify(raw)}`);
    }
    ports[key] = port;
  }
  return ports;
}

/** Seven distinct ports the kernel says are free right now (held open together, then released). */
export async function freePorts(): Promise<StackPorts> {
  const servers = PORT_KEYS.map(() => createServer());
  try {
    const ports = await Promise.all(
      servers.map(
        (server) =>
          new Promise<number>((resolve, reject) => {
            server.once("error", reject);
            server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
          }),
      ),
    );
    const result = {} as StackPorts;
    PORT_KEYS.forEach((key, i) => (result[key] = ports[i] ?? 0));
    return result;
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}

/** True when 127.0.0.1:port can be bound (so nothing listens there, on any address). */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function isPortOpen(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

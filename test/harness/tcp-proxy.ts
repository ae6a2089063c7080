// A TCP proxy on loopback in front of a shared server (ClickHouse), which a test can cut and
// restore: cut() closes every connection and refuses new ones on the same port, as a server that
// went away would; restore() accepts again. Other test files keep using the server directly.
import { createServer, connect, type Server, type Socket } from "node:net";

export interface TcpProxy {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: URL): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = (port: number): Promise<number> => {
    const s = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      for (const sock of [client, upstream]) {
        sockets.add(sock);
        sock.on("close", () => sockets.delete(sock));
        sock.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    server = s;
    return new Promise((resolve, reject) => {
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => {
        const address = s.address();
        resolve(typeof address === "object" && address !== null ? address.port : port);
      });
    });
  };
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      for (const sock of sockets) sock.destroy();
      if (server === undefined) return resolve();
      server.close(() => resolve());
      server = undefined;
    });
  const port = await listen(0);
  return {
    url: `http://127.0.0.1:${port}`,
    cut: stop,
    restore: async () => {
      await listen(port);
    },
    close: stop,
  };
}

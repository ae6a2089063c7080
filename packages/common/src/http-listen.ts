// Starts an HTTP server listening, with an error that names the setting when the port is
// taken, and a close that also drops idle keep-alive connections.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Listening {
  readonly port: number;
  close(): Promise<void>;
}

export async function listen(
  server: Server,
  opts: { host: string; port: number; what: string; variable: string },
): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        err.code === "EADDRINUSE"
          ? new Error(`${opts.what} port ${opts.port} is already in use; set ${opts.variable}`)
          : err,
      ),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

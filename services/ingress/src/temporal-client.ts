// Ingress's Temporal client, for the Batches API: connected on first use and again after a
// failed attempt, so the interactive doors start (and stay up) without Temporal.
import { Client, Connection } from "@temporalio/client";

export interface LazyTemporalClient {
  get(): Promise<Client>;
  close(): Promise<void>;
}

export function lazyTemporalClient(address: string, namespace: string): LazyTemporalClient {
  let connecting: Promise<Client> | undefined;
  return {
    get() {
      connecting ??= Connection.connect({ address, connectTimeout: 3_000 }).then(
        (connection) => new Client({ connection, namespace }),
        (err: unknown) => {
          connecting = undefined;
          throw err;
        },
      );
      return connecting;
    },
    async close() {
      const client = await connecting?.catch(() => undefined);
      await client?.connection.close();
    },
  };
}

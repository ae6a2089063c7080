// Ingress's Temporal client, for the Batches API: connected on first use and again after a
// failed attempt, so the interactive doors start (and stay up) without Temporal.
import { Client, Connection } from "@temporalio/client";
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from "@temporalio/common";
import { SEARCH_ATTRIBUTES } from "@switchyard/common";

const tenantKey = defineSearchAttributeKey(SEARCH_ATTRIBUTES.tenant, SearchAttributeType.KEYWORD);
const batchKey = defineSearchAttributeKey(SEARCH_ATTRIBUTES.batchId, SearchAttributeType.KEYWORD);
const kindKey = defineSearchAttributeKey(SEARCH_ATTRIBUTES.kind, SearchAttributeType.KEYWORD);

/** The search attributes of a batch's or a chain run's workflow (the Temporal UI filters by them). */
export function workflowSearchAttributes(a: {
  tenantId: string;
  kind: "batch" | "chain";
  batchId?: string;
}): SearchAttributePair[] {
  return [
    { key: tenantKey, value: a.tenantId },
    { key: kindKey, value: a.kind },
    ...(a.batchId === undefined ? [] : [{ key: batchKey, value: a.batchId }]),
  ];
}

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

// A test gateway's JetStream streams and buckets, deleted when it stops: JetStream reserves a
// bucket's whole size (the Responses store's is 1 GiB by default) for as long as the bucket
// exists, so a test run that kept every gateway's buckets ran out of reservable storage part way
// through (ingress then dies at start with "insufficient storage resources available").
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";

/** Deletes every stream whose name carries `prefix` (events stream, KV and object buckets). */
export async function dropStreams(nc: NatsConnection, prefix: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  // EVENTS streams are named `<PREFIX>_EVENTS`, buckets `KV_<prefix>_…` and `OBJ_<prefix>_…`.
  const mine = new RegExp(`(^|_)${prefix.replace(/[^A-Za-z0-9]/g, "_")}_`, "i");
  const names: string[] = [];
  for await (const name of jsm.streams.names()) if (mine.test(name)) names.push(name);
  await Promise.all(names.map((name) => jsm.streams.delete(name)));
}

// Names of the things a deployment keeps in NATS and hands out to clients: buckets carry the
// subject prefix (so two gateways can share a NATS), ids carry a kind and 24 random letters
// and digits (142 bits from the system's CSPRNG).
import { randomInt } from "node:crypto";

const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** `<start>` and 24 random letters and digits, e.g. randomId("file-"), randomId("batch_"). */
export function randomId(start: string): string {
  let id = start;
  for (let i = 0; i < 24; i++) id += ID_ALPHABET.charAt(randomInt(ID_ALPHABET.length));
  return id;
}

/** A KV or object-store bucket of the deployment with this subject prefix (which may hold dots). */
export function bucketName(prefix: string, what: string): string {
  return `${prefix.replace(/[^A-Za-z0-9_-]/g, "_")}_${what}`;
}

// Salted hashes of matched values, for verdict events: an analyst can see that the same card
// or key turns up across requests and tenants without the value ever leaving the request.
// HMAC-SHA-256 with a salt every replica shares (SWITCHYARD_GUARD_HASH_SALT); without one each
// process makes its own, and hashes match only within that process.
import { createHmac, randomBytes } from "node:crypto";

export type ValueHasher = (value: string) => string;

export function createValueHasher(salt: string | undefined): { hash: ValueHasher; shared: boolean } {
  const key = salt !== undefined && salt !== "" ? salt : randomBytes(32).toString("hex");
  return {
    hash: (value) => createHmac("sha256", key).update(value).digest("hex").slice(0, 16),
    shared: salt !== undefined && salt !== "",
  };
}

// API keys at the doors. A key arrives as `Authorization: Bearer`, `x-api-key`, or gRPC metadata
// `authorization`; only its SHA-256 hash is looked up. The meter owns keys: ingress asks it
// over NATS for the key behind a hash and keeps the answer (a minute; an unknown hash five
// seconds; ten minutes more while the store cannot answer), and forgets it the moment the meter
// says the key changed, so a revoked or rotated-out key is refused by every ingress replica
// within a second. Steady state costs no round trip.
import { createHash } from "node:crypto";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import {
  GatewayError,
  createLookupCache,
  modelAllowed,
  type KeyScope,
  type Logger,
  type Subjects,
} from "@switchyard/common";
import { KeyLookupReplySchema, KeyLookupSchema, KeysChangedSchema, type KeyInfo } from "@switchyard/proto";

export function hashKey(key: string): string {
  return `sha256:${createHash("sha256").update(key).digest("hex")}`;
}

export function keyFromHeaders(
  authorization: string | undefined,
  xApiKey: string | undefined,
): string | undefined {
  if (authorization !== undefined && authorization !== "") {
    const m = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    return m?.[1]?.trim() ?? authorization.trim();
  }
  return xApiKey === undefined || xApiKey === "" ? undefined : xApiKey.trim();
}

export interface KeyStore {
  /**
   * The key for a presented secret: 401 unknown, revoked or expired; 403 pending approval.
   * `seen` gets the key whenever the store knows it, refused or not (for the refusal's record).
   */
  authenticate(presented: string | undefined, seen?: (key: KeyInfo) => void): Promise<KeyInfo>;
  /**
   * The key with this id, refused as authenticate refuses its secret (revoked, expired,
   * pending): for work done later on its behalf, such as a batch's lines.
   */
  byId(keyId: string): Promise<KeyInfo>;
  /** Throws permission_denied when the key may not use the model. */
  authorizeModel(key: KeyInfo, model: string): void;
  /** Throws permission_denied when the key lacks the scope. */
  authorizeScope(key: KeyInfo, scope: KeyScope): void;
  close(): Promise<void>;
}

const LOOKUP_TIMEOUT_MS = 2_000;
const BY_ID = "id:";

/** The key when it may be used now; else the refusal its status calls for. */
function usable(key: KeyInfo): KeyInfo {
  const status =
    key.status === "active" && key.expiresUnixMs > 0n && BigInt(Date.now()) >= key.expiresUnixMs
      ? "expired"
      : key.status;
  switch (status) {
    case "active":
      return key;
    case "pending":
      throw new GatewayError("key_pending_approval", "this API key waits for a tenant admin's approval");
    case "expired":
      throw new GatewayError("unauthenticated", "this API key (or this secret of it) has expired");
    default:
      throw new GatewayError("unauthenticated", "this API key was revoked");
  }
}

export function createKeyStore(deps: {
  nc: NatsConnection;
  subjects: Subjects;
  log: Logger;
  /** Registers a callback for NATS reconnects (changes announced meanwhile were missed). */
  onReconnect: (fn: () => void) => void;
}): KeyStore {
  // Cached by secret hash ("sha256:…"), or by id for byId ("id:…").
  const cache = createLookupCache<KeyInfo>({
    fetch: async (lookup) => {
      const ask = lookup.startsWith(BY_ID) ? { keyId: lookup.slice(BY_ID.length) } : { hash: lookup };
      let reply;
      try {
        reply = await deps.nc.request(
          deps.subjects.keyLookup,
          toBinary(KeyLookupSchema, create(KeyLookupSchema, ask)),
          { timeout: LOOKUP_TIMEOUT_MS },
        );
      } catch (err) {
        throw new GatewayError(
          "unavailable",
          "the API key cannot be checked now (the meter does not answer); retry",
          {
            cause: err,
          },
        );
      }
      const answer = fromBinary(KeyLookupReplySchema, reply.data);
      if (answer.unavailable)
        throw new GatewayError(
          "unavailable",
          "the API key cannot be checked now (the key store is unreachable); retry",
        );
      return answer.key;
    },
    ttlMs: 60_000,
    absentTtlMs: 5_000,
    max: 100_000,
    // While the meter or its Redis is down, a key checked in the last ten minutes still works
    // (a revoked one does not: its announcement removed it).
    staleIfErrorMs: 600_000,
  });
  const changes: Subscription = deps.nc.subscribe(deps.subjects.keysChanged, {
    callback: (err, msg) => {
      if (err !== null) return;
      try {
        const c = fromBinary(KeysChangedSchema, msg.data);
        for (const hash of c.hashes) cache.forget(hash);
        for (const id of c.keyIds) cache.forget(BY_ID + id);
        // A team's or tenant's limits changed: its keys may count tokens differently now.
        if (c.teamIds.length + c.tenantIds.length > 0)
          cache.forgetIf((k) => c.teamIds.includes(k.teamId) || c.tenantIds.includes(k.tenantId));
      } catch (e) {
        deps.log.warn({ err: e }, "a key change that does not decode; forgetting every key");
        cache.clear();
      }
    },
  });
  // Changes announced while NATS was away were missed: check every key again on its next use
  // (falling back to what was known if the meter cannot answer yet).
  deps.onReconnect(() => cache.expireAll());

  return {
    async authenticate(presented, seen) {
      if (presented === undefined) {
        throw new GatewayError(
          "unauthenticated",
          "no API key: send `Authorization: Bearer <key>` or `x-api-key`",
        );
      }
      const key = await cache.get(hashKey(presented));
      if (key === undefined) throw new GatewayError("unauthenticated", "invalid API key");
      seen?.(key);
      return usable(key);
    },
    async byId(keyId) {
      const key = await cache.get(BY_ID + keyId);
      if (key === undefined)
        throw new GatewayError("unauthenticated", `the API key ${keyId} no longer exists`);
      return usable(key);
    },
    authorizeModel(key, model) {
      if (modelAllowed(key.models, model)) return;
      throw new GatewayError("permission_denied", `this key may not use the model \`${model}\``, {
        field: "model",
      });
    },
    authorizeScope(key, scope) {
      if (key.scopes.includes(scope)) return;
      throw new GatewayError("permission_denied", `this key is not allowed to use ${scope}`);
    },
    close: () => changes.drain(),
  };
}

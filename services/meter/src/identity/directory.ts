// The meter's side of key lookups over NATS: ingress asks for the key behind a secret's hash,
// the orchestrator for a key by its id (queue group "meter", so any replica answers), and
// every change to a key is announced so every ingress replica forgets what it cached for it.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Logger, Subjects } from "@switchyard/common";
import {
  KeyInfoSchema,
  KeyLookupReplySchema,
  KeyLookupSchema,
  KeysChangedSchema,
  type KeyInfo,
} from "@switchyard/proto";
import { countsTokens } from "../scopes.js";
import { statusOf, type IdentityStore, type Key } from "./store.js";

/**
 * The key as the doors see it, for the secret with `hash`: a rotated-out secret expires when
 * its grace period ends (the doors refuse it from then on, whatever they cached).
 */
export function keyInfo(key: Key, hash: string, countTokens: boolean, now = Date.now()): KeyInfo {
  const graceEnds = hash !== key.hash && hash === key.previousHash ? key.previousUntil : 0;
  const expires = [key.expiresAt, graceEnds].filter((t) => t > 0);
  return create(KeyInfoSchema, {
    id: key.id,
    tenantId: key.tenant,
    teamId: key.team,
    name: key.name,
    status: statusOf(key, now),
    scopes: key.scopes,
    models: key.models,
    expiresUnixMs: BigInt(expires.length > 0 ? Math.min(...expires) : 0),
    rpm: key.rpm,
    countTokens,
  });
}

export interface KeyDirectory {
  /**
   * Tells every ingress and meter replica to forget these keys (and their secret hashes), and
   * the meter replicas these teams' and tenants' limits.
   */
  changed(what: { keys?: readonly Key[]; teamIds?: readonly string[]; tenantIds?: readonly string[] }): void;
  close(): Promise<void>;
}

export function startKeyDirectory(deps: {
  nc: NatsConnection;
  subjects: Subjects;
  store: IdentityStore;
  log: Logger;
}): KeyDirectory {
  const sub: Subscription = deps.nc.subscribe(deps.subjects.keyLookup, {
    queue: "meter",
    callback: (err, msg) => {
      if (err !== null) return;
      void (async () => {
        try {
          const { hash, keyId } = fromBinary(KeyLookupSchema, msg.data);
          // By id (work on a key's behalf, such as a batch): the key as its current secret sees it.
          const key = keyId !== "" ? await deps.store.getKey(keyId) : await deps.store.keyByHash(hash);
          let info: KeyInfo | undefined;
          if (key !== undefined) {
            const [team, tenant] = await Promise.all([
              key.team === "" ? undefined : deps.store.getTeam(key.team),
              deps.store.getTenant(key.tenant),
            ]);
            info = keyInfo(key, keyId !== "" ? key.hash : hash, countsTokens(key, team, tenant));
          }
          msg.respond(toBinary(KeyLookupReplySchema, create(KeyLookupReplySchema, { key: info })));
        } catch (err) {
          deps.log.warn({ err }, "key lookup failed");
          try {
            msg.respond(toBinary(KeyLookupReplySchema, create(KeyLookupReplySchema, { unavailable: true })));
          } catch {
            // NATS is away too: the asker's request times out.
          }
        }
      })();
    },
  });
  return {
    changed({ keys = [], teamIds = [], tenantIds = [] }) {
      if (keys.length + teamIds.length + tenantIds.length === 0) return;
      const msg = create(KeysChangedSchema, {
        keyIds: keys.map((k) => k.id),
        hashes: keys.flatMap((k) => [k.hash, k.previousHash].filter((h) => h !== "")),
        teamIds: [...teamIds],
        tenantIds: [...tenantIds],
      });
      try {
        deps.nc.publish(deps.subjects.keysChanged, toBinary(KeysChangedSchema, msg));
      } catch (err) {
        deps.log.error({ err }, "could not announce a key change; ingress caches expire within a minute");
      }
    },
    close: () => sub.drain(),
  };
}

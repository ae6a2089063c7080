// API keys: only their SHA-256 hashes are held. A key arrives as `Authorization: Bearer`,
// `x-api-key`, or gRPC metadata `authorization`.
import { createHash } from "node:crypto";
import { GatewayError, type KeyConfig } from "@switchyard/common";

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
  authenticate(presented: string | undefined): KeyConfig;
  /** Throws permission_denied when the key may not use the model. */
  authorizeModel(key: KeyConfig, model: string): void;
}

export function createKeyStore(keys: readonly KeyConfig[]): KeyStore {
  const byHash = new Map(keys.map((k) => [k.hash, k]));
  return {
    authenticate(presented) {
      if (presented === undefined) {
        throw new GatewayError(
          "unauthenticated",
          "no API key: send `Authorization: Bearer <key>` or `x-api-key`",
        );
      }
      const key = byHash.get(hashKey(presented));
      if (key === undefined) throw new GatewayError("unauthenticated", "invalid API key");
      return key;
    },
    authorizeModel(key, model) {
      if (key.models.includes("*") || key.models.includes(model)) return;
      throw new GatewayError("permission_denied", `this key may not use the model \`${model}\``, {
        field: "model",
      });
    },
  };
}

// Meter stage, admission on the path: the key's requests-per-minute limit, atomically in Redis.
// While Redis cannot be reached the limit cannot be checked: the fail mode says whether the
// request goes on uncounted (open, the default, as Envoy's and Kong's rate limiters do) or is
// answered 503 (closed).
import { create } from "@bufbuild/protobuf";
import { GatewayError, type Logger, type StageHandler } from "@switchyard/common";
import { AdmissionSchema } from "@switchyard/proto";
import type { Key } from "./identity/store.js";
import type { RateLimiter } from "./rate-limit.js";

export function createMeterStage(deps: {
  /** The key record (cached); a lookup that fails is a store that is down. */
  keyById: (id: string) => Promise<Key | undefined>;
  limiter: RateLimiter;
  failMode: "open" | "closed";
  onStoreDown: (mode: "open" | "closed") => void;
  log: Logger;
}): StageHandler {
  const storeDown = (err: unknown): "next" => {
    deps.onStoreDown(deps.failMode);
    if (deps.failMode === "open") return "next";
    throw new GatewayError(
      "unavailable",
      "the rate limit cannot be checked now (its store is unreachable); retry",
      {
        cause: err,
      },
    );
  };
  return async ({ env }) => {
    let rpm: number;
    try {
      rpm = (await deps.keyById(env.keyId))?.rpm ?? 0;
    } catch (err) {
      return storeDown(err);
    }
    if (rpm > 0) {
      let decision;
      try {
        decision = await deps.limiter.check(env.keyId, env.requestId, rpm);
      } catch (err) {
        return storeDown(err);
      }
      if (!decision.allowed) {
        throw new GatewayError(
          "rate_limited",
          `rate limit of ${rpm} requests per minute reached for this key`,
          {
            retryAfterMs: decision.retryAfterMs,
          },
        );
      }
      env.admission = create(AdmissionSchema, { limitWindow: decision.window });
    }
    return "next";
  };
}

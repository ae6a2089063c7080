// Meter stage, admission on the path: the key's requests-per-minute limit, atomically in Redis.
// While Redis cannot be reached the limit cannot be checked: the fail mode says whether the
// request goes on uncounted (open, the default, as Envoy's and Kong's rate limiters do) or is
// answered 503 (closed).
import { create } from "@bufbuild/protobuf";
import { GatewayError, type GatewayConfig, type Logger, type StageHandler } from "@switchyard/common";
import { AdmissionSchema } from "@switchyard/proto";
import type { RateLimiter } from "./rate-limit.js";

export function createMeterStage(deps: {
  keys: GatewayConfig["keys"];
  limiter: RateLimiter;
  failMode: "open" | "closed";
  onStoreDown: (mode: "open" | "closed") => void;
  log: Logger;
}): StageHandler {
  const rpmByKey = new Map(deps.keys.map((k) => [k.id, k.rpm]));
  return async ({ env }) => {
    const rpm = rpmByKey.get(env.keyId) ?? 0;
    if (rpm > 0) {
      let decision;
      try {
        decision = await deps.limiter.check(env.keyId, env.requestId, rpm);
      } catch (err) {
        deps.onStoreDown(deps.failMode);
        if (deps.failMode === "open") return "next";
        throw new GatewayError(
          "unavailable",
          "the rate limit cannot be checked now (its store is unreachable); retry",
          {
            cause: err,
          },
        );
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

// Meter stage, admission on the path: the key's requests-per-minute limit, atomically in Redis.
import { create } from "@bufbuild/protobuf";
import { GatewayError, type GatewayConfig, type StageHandler } from "@switchyard/common";
import { AdmissionSchema } from "@switchyard/proto";
import type { RateLimiter } from "./rate-limit.js";

export function createMeterStage(deps: { keys: GatewayConfig["keys"]; limiter: RateLimiter }): StageHandler {
  const rpmByKey = new Map(deps.keys.map((k) => [k.id, k.rpm]));
  return async ({ env }) => {
    const rpm = rpmByKey.get(env.keyId) ?? 0;
    if (rpm > 0) {
      const decision = await deps.limiter.check(env.keyId, env.requestId, rpm);
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

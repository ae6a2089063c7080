// Per-key requests-per-minute in Redis: one atomic Lua call per request (INCR + PEXPIRE in a
// fixed one-minute window), so every meter replica shares one count. A request counts once:
// ingress sends a request again when the replica holding it was lost, and the second pass
// through the meter is admitted without counting again.
import type { Redis } from "ioredis";

const WINDOW_MS = 60_000;

// KEYS[1] window counter; KEYS[2] the request's "admitted" marker; ARGV[1] limit; ARGV[2]
// window length (ms). Returns {allowed (1/0), count, ms until the window resets}.
const SCRIPT = `
if redis.call('EXISTS', KEYS[2]) == 1 then
  return {1, tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('PTTL', KEYS[1])}
end
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
local ttl = redis.call('PTTL', KEYS[1])
if n > tonumber(ARGV[1]) then return {0, n, ttl} end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
return {1, n, ttl}
`;

export interface RateDecision {
  allowed: boolean;
  count: number;
  retryAfterMs: number;
  window: string;
}

export interface RateLimiter {
  check(keyId: string, requestId: string, rpm: number, now?: number): Promise<RateDecision>;
}

type WithRpm = Redis & {
  syRpm(key: string, admitted: string, limit: number, windowMs: number): Promise<[number, number, number]>;
};

export function createRateLimiter(redis: Redis, prefix: string): RateLimiter {
  redis.defineCommand("syRpm", { numberOfKeys: 2, lua: SCRIPT });
  const r = redis as WithRpm;
  return {
    async check(keyId, requestId, rpm, now = Date.now()) {
      const window = `${prefix}:rpm:${keyId}:${Math.floor(now / WINDOW_MS)}`;
      const admitted = `${prefix}:admitted:${requestId}`;
      const [allowed, count, ttl] = await r.syRpm(window, admitted, rpm, WINDOW_MS);
      return { allowed: allowed === 1, count, retryAfterMs: Math.max(ttl, 1), window };
    },
  };
}

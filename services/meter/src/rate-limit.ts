// Per-key requests-per-minute in Redis: one atomic Lua call per request (INCR + PEXPIRE in a
// fixed one-minute window), so every meter replica shares one count.
import type { Redis } from "ioredis";

const WINDOW_MS = 60_000;

// KEYS[1] window counter; ARGV[1] limit; ARGV[2] window length (ms).
// Returns {allowed (1/0), count, ms until the window resets}.
const SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
local ttl = redis.call('PTTL', KEYS[1])
if n > tonumber(ARGV[1]) then return {0, n, ttl} end
return {1, n, ttl}
`;

export interface RateDecision {
  allowed: boolean;
  count: number;
  retryAfterMs: number;
  window: string;
}

export interface RateLimiter {
  check(keyId: string, rpm: number, now?: number): Promise<RateDecision>;
}

type WithRpm = Redis & {
  syRpm(key: string, limit: number, windowMs: number): Promise<[number, number, number]>;
};

export function createRateLimiter(redis: Redis, prefix: string): RateLimiter {
  redis.defineCommand("syRpm", { numberOfKeys: 1, lua: SCRIPT });
  const r = redis as WithRpm;
  return {
    async check(keyId, rpm, now = Date.now()) {
      const window = `${prefix}:rpm:${keyId}:${Math.floor(now / WINDOW_MS)}`;
      const [allowed, count, ttl] = await r.syRpm(window, rpm, WINDOW_MS);
      return { allowed: allowed === 1, count, retryAfterMs: Math.max(ttl, 1), window };
    },
  };
}

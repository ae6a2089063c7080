// Request, token and concurrency limits, exact over a sliding window, shared by every meter
// replica through Redis. Each scope (a key, its team, its tenant, the key with a model) keeps a
// log of the requests it admitted within the window (a sorted set scored by admission time,
// each member carrying its tokens), a running token sum, and a set of requests in flight scored
// by their deadlines (so a request whose end never settles frees its slot at its deadline).
// One Lua call checks every scope and takes from all of them, or from none: a fixed window
// would let twice the limit through across its edge; this lets through at most the limit in
// any window-long span. Settlement replaces a request's reserved tokens with the ones it used
// and ends its concurrency slot.
import type { Redis } from "ioredis";

export interface ScopeLimits {
  /** "key:<id>", "team:<id>", "tenant:<id>" or "km:<key id>:<pattern>". */
  scope: string;
  rpm: number;
  tpm: number;
  concurrency: number;
}

export interface LimitStatus {
  limit: number;
  remaining: number;
  resetMs: number;
}

export type LimitDecision =
  | { allowed: true; requests?: LimitStatus; tokens?: LimitStatus }
  | {
      allowed: false;
      /** Which limit refused it: "requests", "tokens", "concurrency", or "too_large" (more tokens than the limit). */
      reason: string;
      scope: string;
      retryAfterMs: number;
      requests?: LimitStatus;
      tokens?: LimitStatus;
    };

// The tokens of a log member "<request id>|<tokens>".
const TOKENS = `local function toks(m) return tonumber(string.match(m, '|(%d+)$')) end`;

// KEYS[1] the request's "admitted" marker; then per scope: log, token sum, in-flight set.
// ARGV: now, window, request id, reserve, deadline, marker TTL; then per scope: rpm, tpm, cc.
// Returns {allowed, reason, scope index, retry ms, req limit, req remaining, req reset,
// tok limit, tok remaining, tok reset} (limits 0 when none applies).
const ADMIT = `
${TOKENS}
local now, W, id = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local reserve, deadline, ttl = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local n = (#KEYS - 1) / 3
local again = redis.call('EXISTS', KEYS[1]) == 1
local st = {}
local reason, at, retry = '', 0, 0
for i = 0, n - 1 do
  local log, tok, conc = KEYS[2 + 3 * i], KEYS[3 + 3 * i], KEYS[4 + 3 * i]
  local rpm, tpm, cc = tonumber(ARGV[7 + 3 * i]), tonumber(ARGV[8 + 3 * i]), tonumber(ARGV[9 + 3 * i])
  local old = redis.call('ZRANGEBYSCORE', log, '-inf', now - W)
  if #old > 0 then
    local freed = 0
    for _, m in ipairs(old) do freed = freed + toks(m) end
    redis.call('DECRBY', tok, freed)
    redis.call('ZREMRANGEBYSCORE', log, '-inf', now - W)
  end
  redis.call('ZREMRANGEBYSCORE', conc, '-inf', now)
  local count, tokens = redis.call('ZCARD', log), tonumber(redis.call('GET', tok) or '0')
  st[i] = {count, tokens, rpm, tpm}
  if not again and reason == '' then
    if tpm > 0 and reserve > tpm then
      reason, at = 'too_large', i
    elseif rpm > 0 and count + 1 > rpm then
      local first = redis.call('ZRANGE', log, 0, 0, 'WITHSCORES')
      reason, at, retry = 'requests', i, tonumber(first[2]) + W - now
    elseif tpm > 0 and tokens + reserve > tpm then
      local need, freed = tokens + reserve - tpm, 0
      local entries = redis.call('ZRANGE', log, 0, -1, 'WITHSCORES')
      retry = W
      for j = 1, #entries, 2 do
        freed = freed + toks(entries[j])
        if freed >= need then retry = tonumber(entries[j + 1]) + W - now break end
      end
      reason, at = 'tokens', i
    elseif cc > 0 and redis.call('ZCARD', conc) + 1 > cc then
      local first = redis.call('ZRANGE', conc, 0, 0, 'WITHSCORES')
      reason, at, retry = 'concurrency', i, math.min(1000, tonumber(first[2]) - now)
    end
  end
end
if reason == '' and not again then
  for i = 0, n - 1 do
    local log, tok, conc = KEYS[2 + 3 * i], KEYS[3 + 3 * i], KEYS[4 + 3 * i]
    redis.call('ZADD', log, now, id .. '|' .. reserve)
    redis.call('INCRBY', tok, reserve)
    redis.call('ZADD', conc, deadline, id)
    redis.call('PEXPIRE', log, W * 2)
    redis.call('PEXPIRE', tok, W * 2)
    redis.call('PEXPIREAT', conc, math.max(deadline, now) + W)
    st[i][1], st[i][2] = st[i][1] + 1, st[i][2] + reserve
  end
  redis.call('SET', KEYS[1], '1', 'PX', ttl)
end
-- The tightest request and token limits, as they stand now.
local out = {reason == '' and 1 or 0, reason, at, math.max(retry, 0), 0, 0, 0, 0, 0, 0}
for i = 0, n - 1 do
  local count, tokens, rpm, tpm = st[i][1], st[i][2], st[i][3], st[i][4]
  if rpm > 0 and (out[5] == 0 or rpm - count < out[6]) then
    out[5], out[6], out[7] = rpm, math.max(rpm - count, 0), W
  end
  if tpm > 0 and (out[8] == 0 or tpm - tokens < out[9]) then
    out[8], out[9], out[10] = tpm, math.max(tpm - tokens, 0), W
  end
end
return out
`;

// Per scope: log, token sum, in-flight set. ARGV: request id, reserved, used, admitted at, now,
// window. Ends the request's concurrency slot and replaces its reserved tokens with the used
// ones (while it is still in the window).
const SETTLE = `
${TOKENS}
local id, reserved, used = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local admitted, now, W = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
for i = 0, #KEYS / 3 - 1 do
  local log, tok, conc = KEYS[1 + 3 * i], KEYS[2 + 3 * i], KEYS[3 + 3 * i]
  redis.call('ZREM', conc, id)
  if redis.call('ZREM', log, id .. '|' .. reserved) == 1 then
    redis.call('DECRBY', tok, reserved)
    if admitted > now - W then
      redis.call('ZADD', log, admitted, id .. '|' .. used)
      redis.call('INCRBY', tok, used)
    end
  end
end
return 1
`;

type LimitsCommands = Redis & {
  syAdmit(n: number, ...keysThenArgs: (string | number)[]): Promise<(string | number)[]>;
};

declare module "ioredis" {
  interface ChainableCommander {
    syLimitSettle(n: number, ...keysThenArgs: (string | number)[]): ChainableCommander;
  }
}

export interface Limiter {
  admit(req: {
    requestId: string;
    scopes: readonly ScopeLimits[];
    reserveTokens: number;
    deadlineUnixMs: number;
    now?: number;
  }): Promise<LimitDecision>;
}

export const limitKeys = (prefix: string, scope: string): [string, string, string] => [
  `${prefix}:rl:{${scope}}:log`,
  `${prefix}:rl:{${scope}}:tok`,
  `${prefix}:rl:{${scope}}:conc`,
];

export function createLimiter(redis: Redis, prefix: string, windowMs: number): Limiter {
  redis.defineCommand("syAdmit", { lua: ADMIT });
  const r = redis as LimitsCommands;
  const status = (limit: unknown, remaining: unknown, reset: unknown): LimitStatus | undefined =>
    Number(limit) > 0
      ? { limit: Number(limit), remaining: Number(remaining), resetMs: Number(reset) }
      : undefined;
  return {
    async admit({ requestId, scopes, reserveTokens, deadlineUnixMs, now = Date.now() }) {
      const keys = [`${prefix}:admitted:${requestId}`, ...scopes.flatMap((s) => limitKeys(prefix, s.scope))];
      const args = [now, windowMs, requestId, reserveTokens, deadlineUnixMs, windowMs * 2];
      for (const s of scopes) args.push(s.rpm, s.tpm, s.concurrency);
      const out = await r.syAdmit(keys.length, ...keys, ...args);
      const requests = status(out[4], out[5], out[6]);
      const tokens = status(out[7], out[8], out[9]);
      if (Number(out[0]) === 1) return { allowed: true, requests, tokens };
      return {
        allowed: false,
        reason: String(out[1]),
        scope: scopes[Number(out[2])]?.scope ?? "",
        retryAfterMs: Math.max(1, Math.ceil(Number(out[3]))),
        requests,
        tokens,
      };
    },
  };
}

/** The keys and arguments of pipeline.syLimitSettle for one finished request. */
export function limitSettleArgs(
  prefix: string,
  r: {
    requestId: string;
    scopes: readonly string[];
    reservedTokens: number;
    usedTokens: number;
    admittedUnixMs: number;
    now: number;
    windowMs: number;
  },
): [number, ...(string | number)[]] {
  return [
    r.scopes.length * 3,
    ...r.scopes.flatMap((scope) => limitKeys(prefix, scope)),
    r.requestId,
    r.reservedTokens,
    r.usedTokens,
    r.admittedUnixMs,
    r.now,
    r.windowMs,
  ];
}

/** Registers the settlement script on `redis`: pipeline.syLimitSettle(...) per finished request. */
export function defineLimitSettle(redis: Redis): void {
  redis.defineCommand("syLimitSettle", { lua: SETTLE });
}

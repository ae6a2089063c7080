// Budget ledgers in Redis: per budget and period, what settled requests spent and what
// requests in flight have reserved. Admission reserves a request's maximum cost on every
// budget it is charged to in one atomic script, refusing if a hard budget cannot cover it;
// settlement replaces the reservation with the actual cost, once per request id. A reservation
// whose request never settles (its process died) expires after the request's deadline, and the
// next admission on that budget gives it back. Amounts are integer nano-USD.
//
// Keys per budget and period: `…:bud:{<scope>}:<period>` (hash: spent, reserved, alert marks),
// `…:r` (request id → reserved) and `…:x` (request id by expiry).
import type { Redis } from "ioredis";
import type { BudgetHold } from "@switchyard/proto";

/** A ledger is kept this long after its period ends, for the usage API and late settlements. */
const KEEP_AFTER_PERIOD_MS = 62 * 24 * 3600_000;
/** A request's settlement is recorded this long, so a redelivered usage event changes nothing. */
const SETTLED_TTL_S = 7 * 24 * 3600;

// ARGV: now, request id, amount, expiry; then per budget: budget, hard (1/0), keep until (0 for
// ever). Returns {refused budget's index + 1 or 0, 1 if that is the first refusal of its period
// (its 100 % alert, once), then per budget: spent, reserved}.
const RESERVE = `
local now, id, amount, expiry = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local n = #KEYS / 3
local again = redis.call('HEXISTS', KEYS[2], id) == 1
local refused, out = 0, {0, 0}
for i = 0, n - 1 do
  local h, r, x = KEYS[1 + 3 * i], KEYS[2 + 3 * i], KEYS[3 + 3 * i]
  local gone = redis.call('ZRANGEBYSCORE', x, '-inf', now, 'LIMIT', 0, 512)
  for _, m in ipairs(gone) do
    redis.call('HINCRBY', h, 'reserved', -tonumber(redis.call('HGET', r, m) or '0'))
    redis.call('HDEL', r, m)
    redis.call('ZREM', x, m)
  end
  local spent = tonumber(redis.call('HGET', h, 'spent') or '0')
  local reserved = tonumber(redis.call('HGET', h, 'reserved') or '0')
  local budget, hard = tonumber(ARGV[5 + 3 * i]), ARGV[6 + 3 * i] == '1'
  if refused == 0 and not again and hard and spent + reserved + amount > budget then refused = i + 1 end
  out[3 + 2 * i], out[4 + 2 * i] = spent, reserved
end
out[1] = refused
if refused > 0 then out[2] = redis.call('HSETNX', KEYS[3 * refused - 2], 'alert:1', '1') end
if refused == 0 and not again then
  for i = 0, n - 1 do
    local h, r, x = KEYS[1 + 3 * i], KEYS[2 + 3 * i], KEYS[3 + 3 * i]
    redis.call('HINCRBY', h, 'reserved', amount)
    redis.call('HSET', r, id, amount)
    redis.call('ZADD', x, expiry, id)
    local keep = tonumber(ARGV[7 + 3 * i])
    if keep > 0 then
      for _, k in ipairs({h, r, x}) do redis.call('PEXPIREAT', k, keep) end
    end
    out[4 + 2 * i] = out[4 + 2 * i] + amount
  end
end
return out
`;

// KEYS[1] the request's "settled" mark, then per budget: ledger, reservations, expiries.
// ARGV: request id, actual cost, mark TTL (s); then per budget: budget, alert fractions
// ("0.5,0.8"), keep until. Returns per alert reached for the first time: budget index, fraction,
// spent.
const SETTLE = `
local id, cost = ARGV[1], tonumber(ARGV[2])
if not redis.call('SET', KEYS[1], '1', 'EX', ARGV[3], 'NX') then return {} end
local out = {}
for i = 0, (#KEYS - 1) / 3 - 1 do
  local h, r, x = KEYS[2 + 3 * i], KEYS[3 + 3 * i], KEYS[4 + 3 * i]
  local held = redis.call('HGET', r, id)
  if held then
    redis.call('HINCRBY', h, 'reserved', -tonumber(held))
    redis.call('HDEL', r, id)
    redis.call('ZREM', x, id)
  end
  local spent = redis.call('HINCRBY', h, 'spent', cost)
  local keep = tonumber(ARGV[6 + 3 * i])
  if keep > 0 then redis.call('PEXPIREAT', h, keep) end
  local budget = tonumber(ARGV[4 + 3 * i])
  for f in string.gmatch(ARGV[5 + 3 * i], '[^,]+') do
    if budget > 0 and spent >= tonumber(f) * budget and redis.call('HSETNX', h, 'alert:' .. f, '1') == 1 then
      table.insert(out, i)
      table.insert(out, f)
      table.insert(out, spent)
    end
  end
end
return out
`;

declare module "ioredis" {
  interface ChainableCommander {
    syBudgetSettle(n: number, ...keysThenArgs: (string | number)[]): ChainableCommander;
  }
}

type LedgerCommands = Redis & {
  syBudgetReserve(n: number, ...keysThenArgs: (string | number)[]): Promise<number[]>;
};

export const ledgerKeys = (prefix: string, scope: string, period: string): [string, string, string] => {
  const h = `${prefix}:bud:{${scope}}:${period}`;
  return [h, `${h}:r`, `${h}:x`];
};

const keepUntil = (endsAt: number): number => (endsAt > 0 ? endsAt + KEEP_AFTER_PERIOD_MS : 0);

/** One budget a request is to be charged to. */
export interface Charge {
  scope: string;
  period: string;
  periodEndsAt: number;
  budgetNanoUsd: bigint;
  hard: boolean;
}

export interface Standing {
  spentNanoUsd: bigint;
  reservedNanoUsd: bigint;
}

export type ReserveResult =
  | { allowed: true; standings: Standing[] }
  | {
      allowed: false;
      refused: number;
      /** The period's first refusal by that budget: its 100 % alert, raised once. */
      exhausted: boolean;
      standings: Standing[];
    };

export interface Ledger {
  /** Reserves `amount` on every budget, or on none if a hard one cannot cover it. Idempotent per request id. */
  reserve(o: {
    requestId: string;
    charges: Charge[];
    amountNanoUsd: bigint;
    expiresAt: number;
    now: number;
  }): Promise<ReserveResult>;
}

/** Where one budget stands in one period. */
export async function standingOf(
  redis: Redis,
  prefix: string,
  scope: string,
  period: string,
): Promise<Standing> {
  const [spent, reserved] = await redis.hmget(ledgerKeys(prefix, scope, period)[0], "spent", "reserved");
  return { spentNanoUsd: BigInt(spent ?? 0), reservedNanoUsd: BigInt(reserved ?? 0) };
}

export function createLedger(redis: Redis, prefix: string): Ledger {
  redis.defineCommand("syBudgetReserve", { lua: RESERVE });
  const r = redis as LedgerCommands;
  return {
    async reserve({ requestId, charges, amountNanoUsd, expiresAt, now }) {
      const keys = charges.flatMap((c) => ledgerKeys(prefix, c.scope, c.period));
      const args = charges.flatMap((c) => [
        c.budgetNanoUsd.toString(),
        c.hard ? 1 : 0,
        keepUntil(c.periodEndsAt),
      ]);
      const out = await r.syBudgetReserve(
        keys.length,
        ...keys,
        now,
        requestId,
        amountNanoUsd.toString(),
        expiresAt,
        ...args,
      );
      const standings = charges.map((_, i) => ({
        spentNanoUsd: BigInt(out[2 + 2 * i]!),
        reservedNanoUsd: BigInt(out[3 + 2 * i]!),
      }));
      return out[0] === 0
        ? { allowed: true, standings }
        : { allowed: false, refused: out[0]! - 1, exhausted: out[1] === 1, standings };
    },
  };
}

export function defineBudgetSettle(redis: Redis): void {
  redis.defineCommand("syBudgetSettle", { lua: SETTLE });
}

/** The arguments of one request's budget settlement (`pipeline.syBudgetSettle(...args)`). */
export function budgetSettleArgs(
  prefix: string,
  requestId: string,
  holds: readonly BudgetHold[],
  costNanoUsd: bigint,
): [number, ...(string | number)[]] {
  const keys = [
    `${prefix}:bud:settled:${requestId}`,
    ...holds.flatMap((h) => ledgerKeys(prefix, h.scope, h.period)),
  ];
  const args = holds.flatMap((h) => [
    h.budgetNanoUsd.toString(),
    h.alertAt.join(","),
    keepUntil(Number(h.periodEndsUnixMs)),
  ]);
  return [keys.length, ...keys, requestId, costNanoUsd.toString(), SETTLED_TTL_S, ...args];
}

/** An alert the settlement of one request raised: its hold's index, the fraction, spend after it. */
export interface Reached {
  hold: number;
  fraction: number;
  spentNanoUsd: bigint;
}

export function alertsReached(result: unknown): Reached[] {
  const out: Reached[] = [];
  const list = Array.isArray(result) ? (result as (string | number)[]) : [];
  for (let i = 0; i + 2 < list.length; i += 3)
    out.push({ hold: Number(list[i]), fraction: Number(list[i + 1]), spentNanoUsd: BigInt(list[i + 2]!) });
  return out;
}

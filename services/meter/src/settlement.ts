// Settlement, off the request path: reads usage events from JetStream and adds the actual
// tokens and cost to per-key counters in Redis. The request id makes it idempotent: a
// redelivered event is acknowledged without counting twice. A request admitted under limits
// also has its reserved tokens replaced by the ones it used, and its concurrency slot ended
// (limits.ts; idempotent as well).
//
// A request charged to budgets has its reservation replaced by its actual cost, once
// (budgets/ledger.ts); a settlement that takes spend past one of a budget's alert fractions
// raises that alert, once per period.
//
// Events arrive in batches (one JetStream message holds the events one process finished within
// a few milliseconds); each batch is settled by one atomic script, and everything that arrived
// since the last round goes to Redis in one pipeline and is acknowledged together.
import { fromBinary } from "@bufbuild/protobuf";
import type { Consumer, ConsumerMessages, JsMsg } from "@nats-io/jetstream";
import type { Logger } from "@switchyard/common";
import { UsageEventBatchSchema, type BudgetHold } from "@switchyard/proto";
import type { ChainableCommander, Redis } from "ioredis";
import { alertsReached, budgetSettleArgs, type Reached } from "./budgets/ledger.js";
import { limitSettleArgs } from "./limits.js";
import { monthOf, usageKeys } from "./usage-keys.js";

const SETTLED_TTL_S = 24 * 3600;

// Per event i (from 0): KEYS[4i+1] the request's "settled" marker, then the monthly usage
// hashes of its key, its team and its tenant ("" for none); ARGV[1] the marker TTL (s), then per
// event: prompt tokens, completion tokens, cost (nano-USD). Returns how many events were counted
// (the rest were settled before).
const SCRIPT = `
local counted = 0
for i = 0, #KEYS / 4 - 1 do
  local a = 2 + i * 3
  if redis.call('SET', KEYS[4 * i + 1], '1', 'EX', ARGV[1], 'NX') then
    counted = counted + 1
    for j = 2, 4 do
      local h = KEYS[4 * i + j]
      if h ~= '' then
        redis.call('HINCRBY', h, 'requests', 1)
        redis.call('HINCRBY', h, 'prompt_tokens', ARGV[a])
        redis.call('HINCRBY', h, 'completion_tokens', ARGV[a + 1])
        redis.call('HINCRBY', h, 'cost_nano_usd', ARGV[a + 2])
      end
    end
  end
end
return counted
`;

declare module "ioredis" {
  interface ChainableCommander {
    sySettle(numberOfKeys: number, ...keysThenArgs: (string | number)[]): ChainableCommander;
  }
}

export interface Settlement {
  stop(): Promise<void>;
}

export async function startSettlement(deps: {
  consumer: Consumer;
  redis: Redis;
  prefix: string;
  /** The limit window (gateway file, limits.window_ms). */
  windowMs: number;
  /** Told of each budget alert a settlement raised. */
  onAlert: (hold: BudgetHold, reached: Reached) => void;
  log: Logger;
}): Promise<Settlement> {
  // The number of keys varies with the batch: given first on each call.
  deps.redis.defineCommand("sySettle", { lua: SCRIPT });
  let batch: JsMsg[] = [];
  let scheduled = false;
  let inFlight = Promise.resolve();

  /** One batch at a time; what arrives meanwhile waits for the next one. */
  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    inFlight = inFlight.then(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      scheduled = false;
      const msgs = batch;
      batch = [];
      await settle(msgs).catch((err: unknown) => deps.log.error({ err }, "settlement batch failed"));
    });
  }

  /**
   * Queues one batch message's settlement on `pipeline`: its usage, then the limits and the
   * budgets of each request admitted under some. Returns how many commands it queued, and
   * the budget holds of each budget command (by its index among them), for their alerts.
   */
  function queue(
    pipeline: ChainableCommander,
    m: JsMsg,
  ): { count: number; holds: Map<number, BudgetHold[]> } {
    const batch = fromBinary(UsageEventBatchSchema, m.data);
    const now = Date.now();
    const limits: [number, ...(string | number)[]][] = [];
    const budgets: [number, ...(string | number)[]][] = [];
    const holds = new Map<number, BudgetHold[]>();
    const keys: string[] = [];
    const args: (string | number)[] = [SETTLED_TTL_S];
    for (const ev of batch.events) {
      const u = ev.usage;
      const names = usageKeys(deps.prefix, monthOf(Number(ev.finishedUnixMs)));
      keys.push(
        `${deps.prefix}:settled:${ev.requestId}`,
        ev.keyId === "" ? "" : names.key(ev.keyId),
        ev.teamId === "" ? "" : names.team(ev.teamId),
        ev.tenantId === "" ? "" : names.tenant(ev.tenantId),
      );
      args.push(u?.promptTokens ?? 0, u?.completionTokens ?? 0, ev.costNanoUsd.toString());
      const a = ev.admission;
      if (a !== undefined && a.limitScopes.length > 0) {
        limits.push(
          limitSettleArgs(deps.prefix, {
            requestId: ev.requestId,
            scopes: a.limitScopes,
            reservedTokens: a.reservedTokens,
            usedTokens: (u?.promptTokens ?? 0) + (u?.completionTokens ?? 0),
            admittedUnixMs: Number(a.admittedUnixMs),
            now,
            windowMs: deps.windowMs,
          }),
        );
      }
      if (a !== undefined && a.budgets.length > 0) {
        holds.set(budgets.length, a.budgets);
        budgets.push(budgetSettleArgs(deps.prefix, ev.requestId, a.budgets, ev.costNanoUsd));
      }
    }
    pipeline.sySettle(keys.length, ...keys, ...args);
    for (const l of limits) pipeline.syLimitSettle(...l);
    for (const b of budgets) pipeline.syBudgetSettle(...b);
    // Budget commands come last: shift their indexes to where they sit in this message's range.
    const first = 1 + limits.length;
    const at = new Map([...holds].map(([i, h]) => [first + i, h]));
    return { count: first + budgets.length, holds: at };
  }

  async function settle(msgs: JsMsg[]): Promise<void> {
    const pipeline = deps.redis.pipeline();
    // Each message with the range of pipeline results that are its commands.
    const queued: { m: JsMsg; from: number; to: number; holds: Map<number, BudgetHold[]> }[] = [];
    let n = 0;
    for (const m of msgs) {
      try {
        const { count, holds } = queue(pipeline, m);
        queued.push({ m, from: n, to: n + count, holds });
        n += count;
      } catch (err) {
        // An event that does not decode will never settle: keep it out of the way.
        deps.log.error({ err }, "dropping a usage-event batch that does not decode");
        m.term();
      }
    }
    if (queued.length === 0) return;
    const results = await pipeline.exec().catch((err: unknown) => {
      deps.log.error({ err }, "settlement failed; will be redelivered");
      return null;
    });
    for (const { m, from, to, holds } of queued) {
      const ok = results !== null && results.slice(from, to).every(([err]) => err === null);
      if (ok) m.ack();
      else m.nak(1000);
      for (const [i, h] of holds) {
        const [err, result] = results?.[from + i] ?? [null, null];
        if (err !== null) continue;
        for (const reached of alertsReached(result)) deps.onAlert(h[reached.hold]!, reached);
      }
    }
  }

  const messages: ConsumerMessages = await deps.consumer.consume({
    max_messages: 256,
    callback: (m) => {
      batch.push(m);
      schedule();
    },
  });
  return {
    stop: async () => {
      await messages.close();
      await inFlight;
    },
  };
}

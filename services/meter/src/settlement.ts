// Settlement, off the request path: reads usage events from JetStream and adds the actual
// tokens and cost to per-key counters in Redis. The request id makes it idempotent: a
// redelivered event is acknowledged without counting twice.
//
// Events are settled in batches: everything that arrived since the last batch goes to Redis in
// one pipeline (one atomic script per event) and is acknowledged together, so a busy meter
// makes a few round trips per batch instead of two per event.
import { fromBinary } from "@bufbuild/protobuf";
import type { Consumer, ConsumerMessages, JsMsg } from "@nats-io/jetstream";
import type { Logger } from "@switchyard/common";
import { UsageEventSchema } from "@switchyard/proto";
import type { Redis } from "ioredis";

const SETTLED_TTL_S = 24 * 3600;

// KEYS[1] the request's "settled" marker; KEYS[2] the key's monthly usage hash ("" for none).
// ARGV: marker TTL (s), prompt tokens, completion tokens, cost (nano-USD).
// Returns 1 when counted, 0 when this request was already settled.
const SCRIPT = `
if not redis.call('SET', KEYS[1], '1', 'EX', ARGV[1], 'NX') then return 0 end
if KEYS[2] ~= '' then
  redis.call('HINCRBY', KEYS[2], 'requests', 1)
  redis.call('HINCRBY', KEYS[2], 'prompt_tokens', ARGV[2])
  redis.call('HINCRBY', KEYS[2], 'completion_tokens', ARGV[3])
  redis.call('HINCRBY', KEYS[2], 'cost_nano_usd', ARGV[4])
end
return 1
`;

type SettleArgs = [
  marker: string,
  usageKey: string,
  ttl: number,
  prompt: number,
  completion: number,
  cost: string,
];

declare module "ioredis" {
  interface ChainableCommander {
    sySettle(...args: SettleArgs): ChainableCommander;
  }
}

export interface Settlement {
  stop(): Promise<void>;
}

/** The Redis hash holding a key's usage for the month of `unixMs` (UTC). */
export function usageKey(prefix: string, keyId: string, unixMs: number): string {
  return `${prefix}:usage:${keyId}:${new Date(unixMs).toISOString().slice(0, 7)}`;
}

export async function startSettlement(deps: {
  consumer: Consumer;
  redis: Redis;
  prefix: string;
  log: Logger;
}): Promise<Settlement> {
  deps.redis.defineCommand("sySettle", { numberOfKeys: 2, lua: SCRIPT });
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

  function argsOf(m: JsMsg): SettleArgs {
    const ev = fromBinary(UsageEventSchema, m.data);
    const u = ev.usage;
    return [
      `${deps.prefix}:settled:${ev.requestId}`,
      ev.keyId === "" ? "" : usageKey(deps.prefix, ev.keyId, Number(ev.finishedUnixMs)),
      SETTLED_TTL_S,
      u?.promptTokens ?? 0,
      u?.completionTokens ?? 0,
      ev.costNanoUsd.toString(),
    ];
  }

  async function settle(msgs: JsMsg[]): Promise<void> {
    const pipeline = deps.redis.pipeline();
    const queued: JsMsg[] = [];
    for (const m of msgs) {
      try {
        pipeline.sySettle(...argsOf(m));
        queued.push(m);
      } catch (err) {
        // An event that does not decode will never settle: keep it out of the way.
        deps.log.error({ err }, "dropping a usage event that does not decode");
        m.term();
      }
    }
    if (queued.length === 0) return;
    const results = await pipeline.exec().catch((err: unknown) => {
      deps.log.error({ err }, "settlement failed; will be redelivered");
      return null;
    });
    for (const [i, m] of queued.entries()) {
      if (results?.[i]?.[0] === null) m.ack();
      else m.nak(1000);
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

// Settlement, off the request path: reads usage events from JetStream and adds the actual
// tokens and cost to per-key counters in Redis. The request id makes it idempotent: a
// redelivered event is acknowledged without counting twice.
import { fromBinary } from "@bufbuild/protobuf";
import type { Consumer, ConsumerMessages } from "@nats-io/jetstream";
import type { Logger } from "@switchyard/common";
import { UsageEventSchema } from "@switchyard/proto";
import type { Redis } from "ioredis";

const SETTLED_TTL_S = 24 * 3600;

export interface Settlement {
  stop(): Promise<void>;
}

export async function startSettlement(deps: {
  consumer: Consumer;
  redis: Redis;
  prefix: string;
  log: Logger;
}): Promise<Settlement> {
  const messages: ConsumerMessages = await deps.consumer.consume({ max_messages: 256 });
  const done = (async () => {
    for await (const m of messages) {
      try {
        const ev = fromBinary(UsageEventSchema, m.data);
        const first = await deps.redis.set(
          `${deps.prefix}:settled:${ev.requestId}`,
          "1",
          "EX",
          SETTLED_TTL_S,
          "NX",
        );
        if (first === "OK" && ev.keyId !== "") {
          const u = ev.usage;
          const month = new Date(Number(ev.finishedUnixMs)).toISOString().slice(0, 7);
          const key = `${deps.prefix}:usage:${ev.keyId}:${month}`;
          await deps.redis
            .multi()
            .hincrby(key, "requests", 1)
            .hincrby(key, "prompt_tokens", u?.promptTokens ?? 0)
            .hincrby(key, "completion_tokens", u?.completionTokens ?? 0)
            .hincrby(key, "cost_nano_usd", Number(ev.costNanoUsd))
            .exec();
        }
        m.ack();
      } catch (err) {
        deps.log.error({ err }, "settlement failed; will be redelivered");
        m.nak(1000);
      }
    }
  })();
  return {
    stop: async () => {
      await messages.close();
      await done;
    },
  };
}

// Which requests this stage replica holds, told to the ingress replicas that wait for them:
// every HEARTBEAT_MS, one Holding message per ingress with requests here. A replica that dies
// stops telling, and ingress sends those requests again (pipeline-client.ts).
import { create, toBinary } from "@bufbuild/protobuf";
import { HoldingSchema, type Envelope } from "@switchyard/proto";
import type { Publish } from "./publish-batcher.js";

export const HEARTBEAT_MS = 200;

export interface Holdings {
  take(env: Envelope): void;
  release(env: Envelope): void;
  stop(): void;
}

export function startHoldings(opts: { stage: string; instance: string; publish: Publish }): Holdings {
  const held = new Map<string, Set<string>>();
  const beat = (): void => {
    for (const [subject, ids] of held) {
      if (ids.size === 0) {
        held.delete(subject);
        continue;
      }
      const msg = create(HoldingSchema, { replica: opts.instance, stage: opts.stage, requestIds: [...ids] });
      try {
        opts.publish(subject, toBinary(HoldingSchema, msg));
      } catch {
        // NATS away: ingress pauses loss detection while it is away too.
      }
    }
  };
  const timer = setInterval(beat, HEARTBEAT_MS);
  timer.unref();
  return {
    take(env) {
      if (env.holdingSubject === "") return;
      let ids = held.get(env.holdingSubject);
      if (ids === undefined) held.set(env.holdingSubject, (ids = new Set()));
      ids.add(env.requestId);
    },
    release(env) {
      held.get(env.holdingSubject)?.delete(env.requestId);
    },
    stop: () => clearInterval(timer),
  };
}

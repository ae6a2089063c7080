// The provider side of the live statistics: every upstream attempt is counted here, in memory
// (a few field updates, nothing on the wire), and a timer writes each deployment's recent record
// to the shared bucket a few times a second, only when it changed. A 429's Retry-After is written
// at once, so every replica skips the throttled deployment.
import { create, toBinary } from "@bufbuild/protobuf";
import type { KV } from "@nats-io/kv";
import {
  AttemptResult,
  AttemptSampleSchema,
  CooldownRecordSchema,
  DeploymentWindowSchema,
  SecondCountsSchema,
  type AttemptSample,
  type SecondCounts,
} from "@switchyard/proto";
import type { Logger } from "../logging.js";
import { cooldownKey, windowKey } from "./bucket.js";
import { HISTORY_MS } from "./summary.js";

/** Samples kept per deployment: enough for a p99, small enough to write often. */
const MAX_SAMPLES = 200;
/** Per-second counts kept: the longest circuit window. */
const KEEP_SECONDS = 30;
/** A deployment with calls in progress but nothing new is rewritten this often (in-flight). */
const BUSY_HEARTBEAT_MS = 1_000;
/**
 * Any deployment with a record is rewritten this often, so readers tell a replica that sent it
 * nothing lately (its history still counts) from one that stopped (STALE_AFTER_MS).
 */
const IDLE_HEARTBEAT_MS = 5_000;

export interface AttemptRecorder {
  /** An upstream call to the deployment began; call what it returns when the call ends. */
  begin(deployment: string): () => void;
  record(deployment: string, result: AttemptResult, latencyMs: number, ttftMs?: number): void;
  /** The deployment answered 429 with Retry-After: every replica skips it until `untilMs`. */
  coolDown(deployment: string, untilMs: number): void;
  /** Writes what is left and stops the timer. */
  close(): Promise<void>;
}

interface Tally {
  seconds: SecondCounts[];
  samples: AttemptSample[];
  inFlight: number;
  dirty: boolean;
  writtenAt: number;
  cooledUntil: number;
}

export function createAttemptRecorder(opts: {
  kv: KV;
  instance: string;
  log: Pick<Logger, "warn">;
  flushMs?: number;
  now?: () => number;
}): AttemptRecorder {
  const now = opts.now ?? Date.now;
  const tallies = new Map<string, Tally>();
  const tally = (deployment: string): Tally => {
    let t = tallies.get(deployment);
    if (t === undefined) {
      t = { seconds: [], samples: [], inFlight: 0, dirty: false, writtenAt: 0, cooledUntil: 0 };
      tallies.set(deployment, t);
    }
    return t;
  };
  let warned = false;
  const failed = (err: unknown): void => {
    if (warned) return;
    warned = true; // once per outage, not per write
    opts.log.warn({ err }, "cannot write routing statistics; routers see this replica's as stale");
  };

  async function flush(force: boolean): Promise<void> {
    const t = now();
    const writes: Promise<unknown>[] = [];
    for (const [deployment, s] of tallies) {
      const beat = t - s.writtenAt >= (s.inFlight > 0 ? BUSY_HEARTBEAT_MS : IDLE_HEARTBEAT_MS);
      if (!s.dirty && !beat && !force) continue;
      const oldest = BigInt(Math.floor(t / 1000) - KEEP_SECONDS);
      s.seconds = s.seconds.filter((c) => c.second >= oldest);
      const cutoff = BigInt(t - HISTORY_MS);
      s.samples = s.samples.filter((x) => x.atUnixMs >= cutoff);
      s.dirty = false;
      s.writtenAt = t;
      const record = create(DeploymentWindowSchema, {
        instance: opts.instance,
        deployment,
        atUnixMs: BigInt(t),
        inFlight: s.inFlight,
        seconds: s.seconds,
        samples: s.samples,
      });
      writes.push(
        opts.kv.put(windowKey(deployment, opts.instance), toBinary(DeploymentWindowSchema, record)),
      );
    }
    try {
      await Promise.all(writes);
      warned = false;
    } catch (err) {
      failed(err);
    }
  }

  let flushing = false;
  const timer = setInterval(() => {
    if (flushing) return; // a slow NATS: skip a beat rather than pile writes up
    flushing = true;
    void flush(false).finally(() => (flushing = false));
  }, opts.flushMs ?? 200);
  timer.unref();

  return {
    begin(deployment) {
      const s = tally(deployment);
      s.inFlight++;
      s.dirty = true;
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        s.inFlight--;
        s.dirty = true;
      };
    },
    record(deployment, result, latencyMs, ttftMs = 0) {
      const s = tally(deployment);
      const at = now();
      const second = BigInt(Math.floor(at / 1000));
      let c = s.seconds[s.seconds.length - 1];
      if (c === undefined || c.second !== second) {
        c = create(SecondCountsSchema, { second });
        s.seconds.push(c);
      }
      if (result === AttemptResult.OK) c.ok++;
      else if (result === AttemptResult.THROTTLED) c.throttled++;
      else c.failed++;
      s.samples.push(
        create(AttemptSampleSchema, {
          atUnixMs: BigInt(at),
          latencyMs: Math.max(0, Math.round(latencyMs)),
          ttftMs: Math.max(0, Math.round(ttftMs)),
          result,
        }),
      );
      if (s.samples.length > MAX_SAMPLES) s.samples.splice(0, s.samples.length - MAX_SAMPLES);
      s.dirty = true;
    },
    coolDown(deployment, untilMs) {
      const s = tally(deployment);
      // Many 429s at once carry nearly the same Retry-After: write it once.
      if (untilMs <= s.cooledUntil + 250) return;
      s.cooledUntil = untilMs;
      const record = create(CooldownRecordSchema, { untilUnixMs: BigInt(untilMs), by: opts.instance });
      opts.kv.put(cooldownKey(deployment), toBinary(CooldownRecordSchema, record)).catch(failed);
    },
    async close() {
      clearInterval(timer);
      await flush(true);
    },
  };
}

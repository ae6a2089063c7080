// The reader's side of the shared routing state: a watch on the bucket keeps the latest record
// of every key in memory, so choosing a deployment reads local memory, never NATS. Summaries are
// computed when asked and kept until a new record arrives or a moment passes.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { KV } from "@nats-io/kv";
import {
  CircuitRecordSchema,
  CircuitState,
  CooldownRecordSchema,
  DeploymentWindowSchema,
  type CircuitRecord,
  type DeploymentWindow,
} from "@switchyard/proto";
import type { Logger } from "../logging.js";
import { circuitKey, parseStatsKey } from "./bucket.js";
import { liveWindows, summarize, type DeploymentStats } from "./summary.js";

/** A replica's record unwritten this long is dropped from memory (the bucket's key TTL). */
const FORGET_AFTER_MS = 3_600_000;
/** A summary is recomputed at least this often, since samples age even when none arrive. */
const SUMMARY_TTL_MS = 250;

export type CircuitPhase = "closed" | "open" | "half_open";

export interface CircuitView {
  phase: CircuitPhase;
  record: CircuitRecord | undefined;
  /** The key's revision, for compare-and-set; 0 when it has none. */
  revision: number;
}

export interface RouteStatsView {
  stats(deployment: string): DeploymentStats;
  /** Live replicas' records of the deployment. */
  windows(deployment: string): DeploymentWindow[];
  circuit(deployment: string): CircuitView;
  /** Until when a Retry-After asked to skip the deployment (0: not cooling down). */
  cooldownUntil(deployment: string): number;
  /** Writes a circuit record if the key is still at `revision` (0: absent); false if it moved. */
  setCircuit(deployment: string, record: CircuitRecord, revision: number): Promise<boolean>;
  /** Deployments with any record. */
  deployments(): string[];
  /** Resolves once the records present when the watch began are loaded. */
  ready: Promise<void>;
  close(): void;
}

export function createRouteStatsView(opts: {
  kv: KV;
  log: Pick<Logger, "warn">;
  /** Key filters (`c.>`, `r.>`); every key when unset. */
  keys?: string[];
  now?: () => number;
}): RouteStatsView {
  const now = opts.now ?? Date.now;
  const windows = new Map<string, Map<string, DeploymentWindow>>();
  const circuits = new Map<string, { record: CircuitRecord; revision: number }>();
  const cooldowns = new Map<string, number>();
  const summaries = new Map<string, { at: number; stats: DeploymentStats }>();
  let stopped = false;
  let stop = (): void => {};

  function apply(key: string, op: string, value: Uint8Array, revision: number): void {
    const k = parseStatsKey(key);
    if (k === undefined) return;
    const gone = op !== "PUT";
    try {
      if (k.kind === "window") {
        let per = windows.get(k.deployment);
        if (per === undefined) windows.set(k.deployment, (per = new Map<string, DeploymentWindow>()));
        if (gone) per.delete(k.instance);
        else per.set(k.instance, fromBinary(DeploymentWindowSchema, value));
        summaries.delete(k.deployment);
      } else if (k.kind === "circuit") {
        if (gone) circuits.delete(k.deployment);
        else circuits.set(k.deployment, { record: fromBinary(CircuitRecordSchema, value), revision });
      } else if (gone) cooldowns.delete(k.deployment);
      else cooldowns.set(k.deployment, Number(fromBinary(CooldownRecordSchema, value).untilUnixMs));
    } catch (err) {
      opts.log.warn({ err, key }, "unreadable routing statistics record; ignored");
    }
  }

  const ready = (async () => {
    const watch = await opts.kv.watch({ key: opts.keys ?? ">" });
    stop = () => watch.stop();
    if (stopped) watch.stop();
    let resolveLoaded!: () => void;
    const loaded = new Promise<void>((r) => (resolveLoaded = r));
    // The last record present at the start comes with delta 0; when no key matches, nothing
    // comes before updates, so a second's wait is the bound.
    const bound = setTimeout(resolveLoaded, 1_000);
    if ((await opts.kv.status()).values === 0) resolveLoaded();
    void (async () => {
      for await (const e of watch) {
        apply(e.key, e.operation, e.value, e.revision);
        if (e.delta === 0 || e.isUpdate) resolveLoaded();
      }
    })().catch((err: unknown) => opts.log.warn({ err }, "routing statistics watch ended"));
    await loaded;
    clearTimeout(bound);
  })();

  return {
    stats(deployment) {
      const t = now();
      const cached = summaries.get(deployment);
      if (cached !== undefined && t - cached.at < SUMMARY_TTL_MS) return cached.stats;
      const stats = summarize(this.windows(deployment), t);
      summaries.set(deployment, { at: t, stats });
      return stats;
    },
    windows(deployment) {
      const per = windows.get(deployment);
      if (per === undefined) return [];
      // The bucket expires a key unwritten for an hour without telling watchers: forget it too,
      // so replicas that came and went do not pile up here.
      const forgotten = BigInt(now() - FORGET_AFTER_MS);
      for (const [instance, w] of per) if (w.atUnixMs < forgotten) per.delete(instance);
      return liveWindows(per.values(), now());
    },
    circuit(deployment) {
      const c = circuits.get(deployment);
      if (c === undefined || c.record.state !== CircuitState.OPEN)
        return { phase: "closed", record: c?.record, revision: c?.revision ?? 0 };
      const phase = now() >= Number(c.record.untilUnixMs) ? "half_open" : "open";
      return { phase, record: c.record, revision: c.revision };
    },
    cooldownUntil(deployment) {
      const until = cooldowns.get(deployment) ?? 0;
      return until > now() ? until : 0;
    },
    async setCircuit(deployment, record, revision) {
      const bytes = toBinary(CircuitRecordSchema, create(CircuitRecordSchema, record));
      try {
        const rev =
          revision === 0
            ? await opts.kv.create(circuitKey(deployment), bytes)
            : await opts.kv.update(circuitKey(deployment), bytes, revision);
        // Seen here at once; the watch brings the same record to every other replica.
        circuits.set(deployment, { record, revision: rev });
        return true;
      } catch {
        return false; // another replica changed it first: the watch brings its record
      }
    },
    deployments() {
      return [...new Set([...windows.keys(), ...circuits.keys(), ...cooldowns.keys()])];
    },
    ready,
    close() {
      stopped = true;
      stop();
    },
  };
}

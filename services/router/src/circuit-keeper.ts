// Circuit breakers shared by every router replica. Each replica looks at the merged live
// statistics a few times a second and proposes a change with compare-and-set on the circuit's
// key: when several see the same failures, one write wins and the others read it from the
// watch, so all agree within one watch delivery. Open → half-open needs no write (the record
// says until when it is open); probes then decide: a failure reopens it for twice as long, and
// `probes` answers with no failure close it.
import {
  countsSince,
  samplesSince,
  type CircuitConfig,
  type Logger,
  type RouteStatsView,
} from "@switchyard/common";
import { create } from "@bufbuild/protobuf";
import { CircuitRecordSchema, CircuitState, type CircuitRecord } from "@switchyard/proto";

export interface CircuitKeeper {
  /** One look at every deployment (the timer calls it; tests may too). */
  check(): Promise<void>;
  close(): void;
}

export function createCircuitKeeper(opts: {
  view: RouteStatsView;
  /** Each deployment's circuit settings (its alias's). */
  configs: ReadonlyMap<string, CircuitConfig>;
  instance: string;
  log: Pick<Logger, "info" | "warn">;
  /** Called after this replica changed a circuit. */
  onChange?: (deployment: string, state: "open" | "closed") => void;
  tickMs?: number;
  now?: () => number;
}): CircuitKeeper {
  const now = opts.now ?? Date.now;
  const { view } = opts;

  async function write(deployment: string, record: CircuitRecord, revision: number): Promise<void> {
    if (!(await view.setCircuit(deployment, record, revision))) return;
    const state = record.state === CircuitState.OPEN ? "open" : "closed";
    opts.log.info({ deployment, state, reason: record.reason }, `circuit ${state}`);
    opts.onChange?.(deployment, state);
  }

  const open = (t: number, opens: number, cfg: CircuitConfig, reason: string): CircuitRecord =>
    create(CircuitRecordSchema, {
      state: CircuitState.OPEN,
      sinceUnixMs: BigInt(t),
      untilUnixMs: BigInt(t + Math.min(cfg.max_open_ms, cfg.open_ms * 2 ** (opens - 1))),
      opens,
      by: opts.instance,
      reason,
    });

  async function checkOne(deployment: string, cfg: CircuitConfig): Promise<void> {
    const t = now();
    const c = view.circuit(deployment);
    const windows = view.windows(deployment);
    if (c.phase === "closed") {
      // Failures from before the last close were judged already.
      const from = Math.max(t - cfg.window_ms, Number(c.record?.sinceUnixMs ?? 0n));
      const n = countsSince(windows, from);
      const total = n.ok + n.failed;
      if (total >= cfg.min_requests && n.failed / total >= cfg.failure_ratio)
        await write(deployment, open(t, 1, cfg, `${n.failed} of ${total} attempts failed`), c.revision);
      return;
    }
    if (c.phase === "open" || c.record === undefined) return;
    const probes = samplesSince(windows, Number(c.record.untilUnixMs));
    if (probes.failed > 0)
      await write(deployment, open(t, c.record.opens + 1, cfg, "a probe failed"), c.revision);
    else if (probes.ok >= cfg.probes)
      await write(
        deployment,
        create(CircuitRecordSchema, {
          state: CircuitState.CLOSED,
          sinceUnixMs: BigInt(t),
          by: opts.instance,
          reason: `${probes.ok} probes answered`,
        }),
        c.revision,
      );
  }

  async function check(): Promise<void> {
    for (const [deployment, cfg] of opts.configs) {
      try {
        await checkOne(deployment, cfg);
      } catch (err) {
        opts.log.warn({ err, deployment }, "circuit check failed");
      }
    }
  }

  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void check().finally(() => (running = false));
  }, opts.tickMs ?? 200);
  timer.unref();
  return { check, close: () => clearInterval(timer) };
}

// CPU milliseconds per request over one measured interval, from /proc (all threads of each
// process, clock ticks of 10 ms): the system's own processes summed, with nats-server and
// redis-server beside them, and the mock and the load generator (this process) apart.
import { readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100;

/** CPU seconds a process has used so far (user + system, every thread); 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

export interface CpuGroups {
  /** The processes of the system under test (empty for the floor), by label. */
  own: { label: string; pid: number }[];
  nats: number[];
  redis: number[];
  mock: number[];
}

/** Milliseconds of CPU per request, by group, over one interval. */
export interface CpuPerRequest {
  own: number;
  nats: number;
  redis: number;
  mock: number;
  loadgen: number;
  /** `own`, process by process. */
  byProcess: Record<string, number>;
}

export function startCpuInterval(groups: CpuGroups): (requests: number) => CpuPerRequest {
  const sum = (pids: number[]): number => pids.reduce((a, pid) => a + cpuSeconds(pid), 0);
  const ownBefore = groups.own.map((p) => cpuSeconds(p.pid));
  const before = { nats: sum(groups.nats), redis: sum(groups.redis), mock: sum(groups.mock) };
  const loadgen = process.cpuUsage();
  return (requests) => {
    const per = (seconds: number): number => (requests > 0 ? (seconds * 1000) / requests : NaN);
    const lg = process.cpuUsage(loadgen);
    const byProcess = Object.fromEntries(
      groups.own.map((p, i) => [p.label, per(cpuSeconds(p.pid) - (ownBefore[i] ?? 0))]),
    );
    return {
      own: Object.values(byProcess).reduce((a, b) => a + b, 0),
      nats: per(sum(groups.nats) - before.nats),
      redis: per(sum(groups.redis) - before.redis),
      mock: per(sum(groups.mock) - before.mock),
      loadgen: per((lg.user + lg.system) / 1e6),
      byProcess,
    };
  };
}

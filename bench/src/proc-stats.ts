// CPU seconds and peak RSS of a process, from /proc (Linux).
import { readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100;

export interface ProcStats {
  cpuSeconds: number;
  peakRssMb: number;
}

export function procStats(pid: number): ProcStats {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpu = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    return { cpuSeconds: cpu, peakRssMb: hwm ? Number(hwm[1]) / 1024 : 0 };
  } catch {
    return { cpuSeconds: 0, peakRssMb: 0 };
  }
}

// CPU seconds and peak RSS of a process, from /proc (Linux).
import { readFileSync } from "node:fs";
import { cpuSeconds } from "./cpu.js";

export interface ProcStats {
  cpuSeconds: number;
  peakRssMb: number;
}

export function procStats(pid: number): ProcStats {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    return { cpuSeconds: cpuSeconds(pid), peakRssMb: hwm ? Number(hwm[1]) / 1024 : 0 };
  } catch {
    return { cpuSeconds: 0, peakRssMb: 0 };
  }
}

// Summarises a V8 .cpuprofile (written by `node --cpu-prof`): the functions with the most
// self time, so the report can say where a stage's CPU goes.
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

export interface HotFunction {
  name: string;
  where: string;
  selfPercent: number;
}

export function hotFunctions(file: string, top = 10): HotFunction[] {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  // Percent of the time the process was busy: idle samples are left out.
  const busy = profile.nodes
    .filter((n) => n.callFrame.functionName !== "(idle)")
    .reduce((a, n) => a + (n.hitCount ?? 0), 0);
  const total = busy || 1;
  const byName = new Map<string, HotFunction>();
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0 || n.callFrame.functionName === "(idle)") continue;
    const where = n.callFrame.url
      .replace(/^.*\/node_modules\//, "")
      .replace(/^.*\/(services|packages)\//, "$1/");
    const name = n.callFrame.functionName || "(anonymous)";
    const key = `${name}@${where}:${n.callFrame.lineNumber}`;
    const entry = byName.get(key) ?? {
      name,
      where: where ? `${where}:${n.callFrame.lineNumber + 1}` : "",
      selfPercent: 0,
    };
    entry.selfPercent += (100 * hits) / total;
    byName.set(key, entry);
  }
  return [...byName.values()].sort((a, b) => b.selfPercent - a.selfPercent).slice(0, top);
}

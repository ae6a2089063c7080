// `npm run bench`: added latency, throughput and streaming of Switchyard against the floor
// (the mock directly), a one-hop proxy and Portkey, all on loopback, in one bounded run.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { repoRoot } from "@switchyard/local-stack";
import { runLoad, type LoadResult } from "./load.js";
import { startCpuInterval, type CpuPerRequest } from "./cpu.js";
import { procStats, type ProcStats } from "./proc-stats.js";
import { hotFunctions, type HotFunction } from "./cpu-profile.js";
import { writeReport } from "./report.js";
import { percentiles, type Percentiles } from "./stats.js";
import { probeStreams, type StreamResult } from "./stream-probe.js";
import { SWITCHYARDS, SYSTEMS, startSystems, stopEverything, type SystemName } from "./systems.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
/** Each point is measured this many times, interleaved with the other systems; medians are reported. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const list = (name: string, fallback: number[]): number[] =>
  process.env[name] ? process.env[name].split(",").map(Number) : fallback;
/** BENCH_CONCURRENCY and BENCH_UPSTREAMS narrow a run while working on one point. */
const CONCURRENCY = list("BENCH_CONCURRENCY", [1, 16, 64]);
const UPSTREAM_MS = list("BENCH_UPSTREAMS", [0, 50]);
/** BENCH_PARTS=closed skips the open loop, the streams and the stage breakdown. */
const PARTS = (process.env.BENCH_PARTS ?? "closed,open,streams,stages").split(",");
const OPEN_LOOP_RATE = 300;
const log = (line: string): void => console.log(`[bench] ${line}`);

export interface PointResult {
  upstreamMs: number;
  mode: "closed" | "open";
  concurrency: number;
  rate?: number;
  system: SystemName;
  /** Medians over the rounds. */
  result: LoadResult;
  cpu: CpuPerRequest;
  /** Requests per second of each round, to show the spread. */
  roundsRps: number[];
}

export interface StreamPoint {
  system: SystemName;
  concurrency: number;
  result: StreamResult;
  /** CPU milliseconds per stream. */
  cpu: CpuPerRequest;
}

export interface BenchResults {
  startedAt: string;
  machine: { cores: number; memoryGb: number; node: string; cpu: string };
  seconds: number;
  rounds: number;
  points: PointResult[];
  streams: StreamPoint[];
  /** Per Switchyard topology: each stage's time from x-switchyard-timing, and the rest. */
  stages: Record<string, Record<string, Percentiles>>;
  processes: Record<string, ProcStats>;
  /** The busiest Switchyard process by CPU, and its hottest functions (self time). */
  profile: { process: string; functions: HotFunction[] } | null;
}

const BODY = JSON.stringify({
  model: "mock-gpt",
  messages: [{ role: "user", content: "Say something short about benchmarks." }],
});
const STREAM_BODY = JSON.stringify({
  model: "mock-gpt",
  stream: true,
  messages: [{ role: "user", content: "Stream a short answer [mock:ttft=20,gap=5,words=20]" }],
});

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};

/** Each field the median of that field over the rounds. */
function medianOf<T extends Record<string, number>>(rounds: T[]): T {
  const first = rounds[0];
  if (first === undefined) throw new Error("no rounds");
  return Object.fromEntries(Object.keys(first).map((k) => [k, median(rounds.map((r) => r[k] ?? NaN))])) as T;
}

function medianCpu(rounds: CpuPerRequest[]): CpuPerRequest {
  const scalar = medianOf(rounds.map(({ byProcess: _, ...rest }) => rest));
  const labels = Object.keys(rounds[0]?.byProcess ?? {});
  const byProcess = Object.fromEntries(
    labels.map((l) => [l, median(rounds.map((r) => r.byProcess[l] ?? NaN))]),
  );
  return { ...scalar, byProcess };
}

function medianLoad(rounds: LoadResult[]): LoadResult {
  return {
    latency: medianOf(
      rounds.map((r) => r.latency as unknown as Record<string, number>),
    ) as unknown as Percentiles,
    rps: median(rounds.map((r) => r.rps)),
    ok: rounds.reduce((a, r) => a + r.ok, 0),
    errors: rounds.reduce((a, r) => a + r.errors, 0),
    non2xx: rounds.reduce((a, r) => a + r.non2xx, 0),
  };
}

async function main(): Promise<void> {
  process.once("SIGINT", () => void stopEverything().then(() => process.exit(130)));
  process.once("SIGTERM", () => void stopEverything().then(() => process.exit(143)));
  const systems = await startSystems(log);
  const stop = (): Promise<void> => systems.stop();
  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    machine: {
      cores: cpus().length,
      memoryGb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      cpu: cpus()[0]?.model ?? "",
    },
    seconds: SECONDS,
    rounds: ROUNDS,
    points: [],
    streams: [],
    stages: {},
    processes: {},
    profile: null,
  };

  /** One closed- or open-loop point for every system, ROUNDS times interleaved. */
  async function loadPoints(
    base: Omit<PointResult, "system" | "result" | "cpu" | "roundsRps">,
    body: string,
  ): Promise<PointResult[]> {
    const rounds = new Map<SystemName, { load: LoadResult[]; cpu: CpuPerRequest[] }>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const system of SYSTEMS) {
        const end = startCpuInterval(systems.cpuGroups(system));
        const load = await runLoad(systems.target(system, body), {
          connections: base.concurrency,
          seconds: SECONDS,
          rate: base.rate,
        });
        const entry = rounds.get(system) ?? { load: [], cpu: [] };
        entry.load.push(load);
        entry.cpu.push(end(load.ok + load.non2xx));
        rounds.set(system, entry);
      }
    }
    return SYSTEMS.map((system) => {
      const r = rounds.get(system)!;
      const point: PointResult = {
        ...base,
        system,
        result: medianLoad(r.load),
        cpu: medianCpu(r.cpu),
        roundsRps: r.load.map((l) => Math.round(l.rps)),
      };
      const x = point.result;
      log(
        `${base.mode === "open" ? `open loop ${base.rate}/s` : `upstream ${base.upstreamMs} ms c=${base.concurrency}`} ${system}: p50 ${x.latency.p50.toFixed(2)} p99 ${x.latency.p99.toFixed(2)} ms, ${x.rps.toFixed(0)} req/s (${point.roundsRps.join("/")}), cpu ${point.cpu.own.toFixed(3)} ms/req + nats ${point.cpu.nats.toFixed(3)}, errors ${x.errors + x.non2xx}`,
      );
      if (system.startsWith("switchyard")) {
        const busy = Object.entries(point.cpu.byProcess)
          .filter(([, ms]) => ms >= 0.005)
          .map(([label, ms]) => `${label} ${ms.toFixed(3)}`);
        log(`    cpu by process (ms/req): ${busy.join(", ")}`);
      }
      return point;
    });
  }

  try {
    for (const s of SYSTEMS) await runLoad(systems.target(s, BODY), { connections: 16, seconds: 2 }); // warm-up
    for (const upstreamMs of PARTS.includes("closed") ? UPSTREAM_MS : []) {
      await systems.setUpstream(`latency=${upstreamMs}`);
      for (const concurrency of CONCURRENCY) {
        const points = await loadPoints({ upstreamMs, mode: "closed", concurrency }, BODY);
        results.points.push(...points);
        logRatios(points);
      }
    }
    await systems.setUpstream("latency=0");
    if (PARTS.includes("open"))
      results.points.push(
        ...(await loadPoints({ upstreamMs: 0, mode: "open", concurrency: 64, rate: OPEN_LOOP_RATE }, BODY)),
      );
    for (const concurrency of PARTS.includes("streams") ? CONCURRENCY : []) {
      const rounds = new Map<SystemName, { result: StreamResult[]; cpu: CpuPerRequest[] }>();
      for (let round = 0; round < ROUNDS; round++) {
        for (const system of SYSTEMS) {
          const end = startCpuInterval(systems.cpuGroups(system));
          // Enough streams for stable percentiles, bounded in time at every concurrency.
          const streams = Math.max(40, concurrency * 6);
          const result = await probeStreams(systems.target(system, STREAM_BODY), { streams, concurrency });
          const entry = rounds.get(system) ?? { result: [], cpu: [] };
          entry.result.push(result);
          entry.cpu.push(end(streams));
          rounds.set(system, entry);
        }
      }
      for (const system of SYSTEMS) {
        const r = rounds.get(system)!;
        const result: StreamResult = {
          ttft: medianOf(
            r.result.map((x) => x.ttft as unknown as Record<string, number>),
          ) as unknown as Percentiles,
          gap: medianOf(
            r.result.map((x) => x.gap as unknown as Record<string, number>),
          ) as unknown as Percentiles,
          errors: r.result.reduce((a, x) => a + x.errors, 0),
        };
        const cpu = medianCpu(r.cpu);
        results.streams.push({ system, concurrency, result, cpu });
        log(
          `stream c=${concurrency} ${system}: ttft p50 ${result.ttft.p50.toFixed(2)} ms, gap p50 ${result.gap.p50.toFixed(2)} ms, cpu ${cpu.own.toFixed(3)} ms/stream, errors ${result.errors}`,
        );
      }
    }
    if (PARTS.includes("stages"))
      for (const s of SWITCHYARDS) results.stages[s] = await stageBreakdown(systems.target(s, BODY));
    for (const p of systems.processes()) results.processes[p.label] = procStats(p.pid);
  } finally {
    await stop();
  }
  const busiest = systems
    .processes()
    .filter((p) => p.profile !== undefined && existsSync(p.profile))
    .sort(
      (a, b) => (results.processes[b.label]?.cpuSeconds ?? 0) - (results.processes[a.label]?.cpuSeconds ?? 0),
    )[0];
  if (busiest?.profile !== undefined)
    results.profile = { process: busiest.label, functions: hotFunctions(busiest.profile) };
  // BENCH_KEEP=1 keeps the run's folder (logs, every process's CPU profile) for a closer look.
  if (process.env.BENCH_KEEP === "1") log(`kept ${systems.folder}`);
  else systems.cleanup();
  const dir = join(repoRoot(), "bench", "results");
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `${results.startedAt.replace(/[:.]/g, "-")}.json`);
  writeFileSync(out, JSON.stringify(results, null, 2));
  writeReport(results);
  log(`wrote ${out}, docs/benchmarks.md and docs/benchmarks-latency.svg`);
}

/** Switchyard/Portkey beside the absolute numbers: added p50/p99 over the floor, and req/s. */
function logRatios(points: PointResult[]): void {
  const get = (s: SystemName) => points.find((p) => p.system === s)?.result;
  const [fl, pk] = [get("floor"), get("portkey")];
  if (!fl || !pk) return;
  const r = (a: number, b: number): string => (b > 0 ? (a / b).toFixed(2) : "n/a");
  const add = (x: LoadResult, q: "p50" | "p99"): number => x.latency[q] - fl.latency[q];
  for (const name of SWITCHYARDS) {
    const sy = get(name);
    if (!sy) continue;
    log(
      `  ${name}/portkey: added p50 ${add(sy, "p50").toFixed(2)}/${add(pk, "p50").toFixed(2)} ms = ${r(add(sy, "p50"), add(pk, "p50"))}, added p99 ${add(sy, "p99").toFixed(2)}/${add(pk, "p99").toFixed(2)} ms = ${r(add(sy, "p99"), add(pk, "p99"))}, req/s ${sy.rps.toFixed(0)}/${pk.rps.toFixed(0)} = ${r(sy.rps, pk.rps)}`,
    );
  }
}

/** Sequential requests, reading each stage's time from `x-switchyard-timing`. */
async function stageBreakdown(
  target: ReturnType<Awaited<ReturnType<typeof startSystems>>["target"]>,
): Promise<Record<string, Percentiles>> {
  const samples = new Map<string, number[]>();
  for (let i = 0; i < 300; i++) {
    const t0 = performance.now();
    const res = await fetch(target.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...target.headers },
      body: target.body,
    });
    await res.arrayBuffer();
    const total = performance.now() - t0;
    const add = (name: string, ms: number): void => {
      samples.set(name, [...(samples.get(name) ?? []), ms]);
    };
    let inStages = 0;
    for (const part of (res.headers.get("x-switchyard-timing") ?? "").split(",")) {
      const m = /^\s*([\w-]+);dur=([\d.]+)/.exec(part);
      if (m?.[1] && m[2]) {
        add(m[1], Number(m[2]));
        inStages += Number(m[2]);
      }
    }
    // What the header does not cover: the client's HTTP round trip, ingress's HTTP handling
    // outside its stage time, and every NATS hop between the stages and back.
    add("outside stages", total - inStages);
    add("total (client)", total);
  }
  return Object.fromEntries([...samples].map(([stage, v]) => [stage, percentiles(v)]));
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    console.error(err);
    await stopEverything();
    process.exit(1);
  },
);

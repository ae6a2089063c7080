// `npm run bench`: added latency, throughput and streaming of Switchyard against the floor
// (the mock directly), a one-hop proxy and Portkey, all on loopback, in one bounded run.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { repoRoot } from "@switchyard/local-stack";
import { runLoad, type LoadResult } from "./load.js";
import { procStats, type ProcStats } from "./proc-stats.js";
import { hotFunctions, type HotFunction } from "./cpu-profile.js";
import { writeReport } from "./report.js";
import { percentiles, type Percentiles } from "./stats.js";
import { probeStreams, type StreamResult } from "./stream-probe.js";
import { SWITCHYARDS, SYSTEMS, startSystems, stopEverything, type SystemName } from "./systems.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = [1, 16, 64];
const UPSTREAM_MS = [0, 50];
const OPEN_LOOP_RATE = 300;
const log = (line: string): void => console.log(`[bench] ${line}`);

export interface PointResult {
  upstreamMs: number;
  mode: "closed" | "open";
  concurrency: number;
  rate?: number;
  system: SystemName;
  result: LoadResult;
}

export interface BenchResults {
  startedAt: string;
  machine: { cores: number; memoryGb: number; node: string; cpu: string };
  seconds: number;
  points: PointResult[];
  streams: { system: SystemName; concurrency: number; result: StreamResult }[];
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
    points: [],
    streams: [],
    stages: {},
    processes: {},
    profile: null,
  };
  try {
    for (const s of SYSTEMS) await runLoad(systems.target(s, BODY), { connections: 16, seconds: 2 }); // warm-up
    for (const upstreamMs of UPSTREAM_MS) {
      await systems.setUpstream(`latency=${upstreamMs}`);
      for (const concurrency of CONCURRENCY) {
        for (const system of SYSTEMS) {
          const result = await runLoad(systems.target(system, BODY), {
            connections: concurrency,
            seconds: SECONDS,
          });
          results.points.push({ upstreamMs, mode: "closed", concurrency, system, result });
          log(
            `upstream ${upstreamMs} ms c=${concurrency} ${system}: p50 ${result.latency.p50.toFixed(2)} p99 ${result.latency.p99.toFixed(2)} ms, ${result.rps.toFixed(0)} req/s, errors ${result.errors + result.non2xx}`,
          );
        }
        logRatios(results.points.slice(-SYSTEMS.length));
      }
    }
    await systems.setUpstream("latency=0");
    for (const system of SYSTEMS) {
      const result = await runLoad(systems.target(system, BODY), {
        connections: 64,
        seconds: SECONDS,
        rate: OPEN_LOOP_RATE,
      });
      results.points.push({
        upstreamMs: 0,
        mode: "open",
        concurrency: 64,
        rate: OPEN_LOOP_RATE,
        system,
        result,
      });
      log(
        `open loop ${OPEN_LOOP_RATE}/s ${system}: p50 ${result.latency.p50.toFixed(2)} p99 ${result.latency.p99.toFixed(2)} ms, errors ${result.errors + result.non2xx}`,
      );
    }
    for (const concurrency of CONCURRENCY) {
      for (const system of SYSTEMS) {
        // Enough streams for stable percentiles, bounded in time at every concurrency.
        const result = await probeStreams(systems.target(system, STREAM_BODY), {
          streams: Math.max(60, concurrency * 8),
          concurrency,
        });
        results.streams.push({ system, concurrency, result });
        log(
          `stream c=${concurrency} ${system}: ttft p50 ${result.ttft.p50.toFixed(2)} ms, gap p50 ${result.gap.p50.toFixed(2)} ms, errors ${result.errors}`,
        );
      }
    }
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
  systems.cleanup();
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

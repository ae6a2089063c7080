// `npm run bench:router`: the router's policies through a scripted incident, on the real
// pipeline against the MOCK provider. For each policy (pinned, weighted, fastest, cheapest,
// least_busy) a fresh gateway serves one alias with three deployments (premium, standard,
// budget); the deployment the policy prefers turns slow, then fails, then recovers, while a
// closed loop of clients keeps sending. Prints cost, latency, errors and how fast traffic left
// and came back; writes docs/routing-sim.svg and the generated part of docs/routing.md.
//
// SIM_SECONDS (50): each policy's run; SIM_CLIENTS (16); SIM_POLICIES=cheapest,pinned narrows a
// run (and then writes to bench/results/ instead of docs/); SIM_KEEP=1 keeps the logs.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { repoRoot } from "@switchyard/local-stack";
import {
  checkTargets,
  PREFERENCE_WINDOW_S,
  preferredIn,
  summarize,
  type PolicyResult,
} from "./router-sim/analysis.js";
import { simChart } from "./router-sim/chart.js";
import { SIM_KEY, removeFolder, startWorld, stopEverything, type SimWorld } from "./router-sim/gateway.js";
import { startClosedLoop, type RunningLoad } from "./router-sim/load.js";
import { consoleTable, simSection, verdict, writeSection, type RunInfo } from "./router-sim/report.js";
import {
  ALIAS,
  CONTROLS,
  DEPLOYMENTS,
  POLICIES,
  deploymentById,
  simModel,
  simProviders,
  timeline,
  type Policy,
  type Timeline,
} from "./router-sim/scenario.js";

const SECONDS = Number(process.env.SIM_SECONDS ?? 50);
const CLIENTS = Number(process.env.SIM_CLIENTS ?? 16);
const RUN: readonly Policy[] = process.env.SIM_POLICIES
  ? POLICIES.filter((p) => process.env.SIM_POLICIES?.split(",").includes(p))
  : POLICIES;
const log = (line: string): void => console.log(`[router-sim] ${line}`);

/** Resolves when the load has run `second` seconds. */
const until = (load: RunningLoad, second: number): Promise<void> =>
  sleep(Math.max(0, second * 1000 - load.elapsed()));

/** One request through the gateway; it must be answered, or the run would measure nothing. */
async function probe(url: string): Promise<void> {
  const res = await fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${SIM_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ model: ALIAS, messages: [{ role: "user", content: "probe" }] }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`the probe request got ${res.status}: ${text}`);
}

async function runPolicy(world: SimWorld, policy: Policy, tl: Timeline): Promise<PolicyResult> {
  for (const d of DEPLOYMENTS) await world.setProfile(d.id, CONTROLS.normal(d));
  const gateway = await world.startGateway(policy, [simModel(policy)], simProviders(world.mockUrl));
  try {
    const url = `${gateway.httpUrl}/chat/completions`;
    await probe(url);
    const load = startClosedLoop({
      url,
      key: SIM_KEY,
      model: ALIAS,
      clients: CLIENTS,
      durationMs: tl.seconds * 1000,
    });
    await until(load, tl.slowAt);
    const degraded = preferredIn(load.samples, Math.max(0, tl.slowAt - PREFERENCE_WINDOW_S), tl.slowAt);
    const d = degraded === undefined ? undefined : deploymentById(degraded);
    if (d !== undefined) await world.setProfile(d.id, CONTROLS.slow(d));
    log(`${policy}: ${tl.slowAt} s, ${d?.id ?? "nothing"} turns slow`);
    await until(load, tl.failAt);
    if (d !== undefined) await world.setProfile(d.id, CONTROLS.failing());
    log(`${policy}: ${tl.failAt} s, ${d?.id ?? "nothing"} fails`);
    await until(load, tl.recoverAt);
    if (d !== undefined) await world.setProfile(d.id, CONTROLS.normal(d));
    log(`${policy}: ${tl.recoverAt} s, ${d?.id ?? "nothing"} recovers`);
    const samples = await load.done;
    return summarize(policy, samples, tl, degraded);
  } finally {
    await gateway.stop();
  }
}

function describe(r: PolicyResult): string {
  const s = (x: number | undefined): string => (x === undefined ? "—" : `${x} s`);
  const shares = Object.entries(r.shares)
    .map(([k, v]) => `${k} ${(v * 100).toFixed(0)}%`)
    .join(", ");
  return `${r.policy}: ${r.requests} requests (${shares}), $${r.costPer1k.toFixed(4)} per 1k, p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms, errors ${(r.errorRate * 100).toFixed(1)}% (${r.failWindow.errors}/${r.failWindow.requests} in the 10 s after failure); ${r.degraded ?? "—"} left ${s(r.leaveAfterSlowS)} after slow, ${s(r.leaveAfterFailS)} after failure, back ${s(r.backAfterRecoveryS)} after recovery`;
}

async function main(): Promise<void> {
  process.once("SIGINT", () => void stopEverything().then(() => process.exit(130)));
  process.once("SIGTERM", () => void stopEverything().then(() => process.exit(143)));
  const started = Date.now();
  const tl = timeline(SECONDS);
  const world = await startWorld(log);
  const results: PolicyResult[] = [];
  try {
    for (const policy of RUN) {
      log(`${policy}: starting a fresh gateway, then ${tl.seconds} s of load from ${CLIENTS} clients`);
      const r = await runPolicy(world, policy, tl);
      results.push(r);
      log(describe(r));
    }
  } finally {
    await world.stop();
  }
  if (process.env.SIM_KEEP === "1") log(`kept ${world.folder}`);
  else removeFolder(world.folder);

  const checks = checkTargets(results, tl);
  console.log(`\n${consoleTable(results)}\n`);
  for (const c of checks) console.log(`${verdict(c.pass).padEnd(4)}  ${c.target}: ${c.measured}`);

  // Only a run of every policy goes into the docs; anything else stays in bench/results.
  const root = repoRoot();
  const official = RUN.length === POLICIES.length;
  const resultsDir = join(root, "bench", "results");
  mkdirSync(resultsDir, { recursive: true });
  const info: RunInfo = {
    date: new Date().toISOString().slice(0, 10),
    clients: CLIENTS,
    cores: cpus().length,
  };
  const ids = DEPLOYMENTS.map((d) => d.id);
  const svg = official ? join(root, "docs", "routing-sim.svg") : join(resultsDir, "router-sim.svg");
  writeFileSync(svg, simChart(results, ids, tl));
  const section = simSection(results, checks, tl, info, official ? "routing-sim.svg" : "router-sim.svg");
  const md = official ? join(root, "docs", "routing.md") : join(resultsDir, "router-sim.md");
  if (!official) writeFileSync(md, "# Routing simulation (not for the docs)\n");
  writeSection(md, section);
  const json = join(resultsDir, `router-sim-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(json, JSON.stringify({ timeline: tl, clients: CLIENTS, results, checks }, null, 2));
  log(`wrote ${svg}, ${md} and ${json} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    console.error(err);
    await stopEverything();
    process.exit(1);
  },
);

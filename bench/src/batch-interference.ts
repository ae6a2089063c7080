// `npm run bench:batch`: what a running batch costs interactive callers. Starts the local stack
// (NATS, Redis, Temporal) on free ports, the MOCK provider answering after a fixed 20 ms, and a
// split Switchyard (ingress, guard, router, meter, provider, orchestrator: one process each).
// Phase A: a closed loop of BENCH_CONCURRENCY (16) clients sends chat requests for BENCH_SECONDS
// (20) after a warmup. Phase B: a BENCH_BATCH_LINES (5,000) line batch of the same model is
// uploaded and created; once it runs, the same load for the same time. Then the batch is
// cancelled and A runs again: on a shared machine the baseline moves, and a B/A that the
// baseline itself exceeds says nothing. Prints latency and throughput of each phase, the batch's
// lines/s during B and the cores each process used (and the rest of the machine), checks the
// target (B's p50 and p99 within 20 % of A's), stops everything, and writes the result into
// docs/batches.md under "## Interactive latency while a batch runs".
//
// The orchestrator's SWITCHYARD_BATCH_* settings (docs/batches.md) pass through, e.g.
//   SWITCHYARD_BATCH_LINES_IN_FLIGHT=2 SWITCHYARD_BATCH_PAGES_IN_FLIGHT=1 npm run bench:batch
// A run replaces the docs' row of the same settings and keeps the others.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  LOCAL_SECRETS,
  createCluster,
  freePort,
  localGatewayConfig,
  writeGatewayConfig,
  type ServiceName,
} from "@switchyard/devkit";
import { ensureInstalled, freePorts, recordedServers, repoRoot, startStack } from "@switchyard/local-stack";
import { cpuSeconds } from "./cpu.js";
import { runLoad, type LoadResult, type Target } from "./load.js";
import { createUndo } from "./undo.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const BATCH_LINES = Number(process.env.BENCH_BATCH_LINES ?? 5000);
const WARMUP_SECONDS = 3;
const UPSTREAM = "latency=20";
/** B's p50 and p99 may be at most this many times A's. */
const TARGET_RATIO = 1.2;
/** Phase B starts once this many lines are done (the batch is past its first pages). */
const STARTED_LINES = Math.max(1, Math.min(100, Math.floor(BATCH_LINES / 20)));
/** Everything, start to stop, or the run gives up and stops what it started. */
const DEADLINE_MS = 10 * 60_000 + 2 * SECONDS * 1000;
/** The orchestrator's batch settings given to this run, passed to it as they are. */
const BATCH_ENV: Record<string, string> = Object.fromEntries(
  Object.entries(process.env)
    .filter((e): e is [string, string] => e[0].startsWith("SWITCHYARD_BATCH_") && e[1] !== undefined)
    .sort(([a], [b]) => a.localeCompare(b)),
);
const STAGES: ServiceName[] = ["ingress", "guard", "router", "meter", "provider", "orchestrator"];
const KEY = "sy-bench-batch-key";
const MODEL = "mock-gpt";
const HEADING = "## Interactive latency while a batch runs";
const ENDED = new Set(["completed", "failed", "expired", "cancelled"]);

const log = (line: string): void => console.log(`[bench:batch] ${line}`);
const undo = createUndo("bench:batch");

interface BatchView {
  id: string;
  status: string;
  request_counts?: { total: number; completed: number; failed: number };
  errors?: unknown;
}
const linesDone = (b: BatchView): number =>
  (b.request_counts?.completed ?? 0) + (b.request_counts?.failed ?? 0);

interface World {
  /** The HTTP door, e.g. http://127.0.0.1:port/v1 */
  api: string;
  folder: string;
  /** Every process of the run, for its CPU. */
  processes(): { label: string; pid: number }[];
}

async function startWorld(): Promise<World> {
  const root = repoRoot();
  const folder = mkdtempSync(join(tmpdir(), "sy-bench-batch-"));
  await ensureInstalled({ log });
  const stack = await startStack({
    ports: await freePorts(),
    dataDir: join(folder, "stack"),
    servers: ["nats", "redis", "temporal"],
    log,
  });
  undo.push(() => stack.stop());
  const [mockPort, httpPort, grpcPort] = [await freePort(), await freePort(), await freePort()];
  const mockUrl = `http://127.0.0.1:${mockPort}`;
  const config = join(folder, "switchyard.yaml");
  writeGatewayConfig(config, localGatewayConfig({ mockUrl, keys: { bench: { key: KEY } } }));
  const cluster = createCluster({
    root,
    logDir: join(folder, "logs"),
    metricsPortBase: "free",
    env: {
      ...LOCAL_SECRETS,
      SWITCHYARD_NATS_URL: stack.urls.nats,
      SWITCHYARD_REDIS_URL: stack.urls.redis,
      SWITCHYARD_TEMPORAL_ADDRESS: stack.urls.temporal,
      SWITCHYARD_CONFIG: config,
      SWITCHYARD_HTTP_PORT: String(httpPort),
      SWITCHYARD_GRPC_PORT: String(grpcPort),
      SWITCHYARD_ADMIN_PORT: "0",
      SWITCHYARD_LOG_LEVEL: "warn",
      SWITCHYARD_DATA_DIR: join(folder, "data"),
    },
  });
  undo.push(() => cluster.stop());
  const mock = await cluster.start(
    "mock-provider",
    { MOCK_PROVIDER_PORT: String(mockPort), MOCK_PROVIDER_DEFAULTS: UPSTREAM },
    `${mockUrl}/healthz`,
  );
  await cluster.waitReady(mock);
  const procs = await Promise.all(STAGES.map((s) => cluster.start(s, s === "orchestrator" ? BATCH_ENV : {})));
  await Promise.all(procs.map((p) => cluster.waitReady(p, 60_000)));
  return {
    api: `http://127.0.0.1:${httpPort}/v1`,
    folder,
    processes: () => [
      ...cluster.processes.map((p) => ({ label: p.name, pid: p.child.pid ?? 0 })),
      ...recordedServers(join(folder, "stack")).flatMap((s) =>
        s.pid === undefined ? [] : [{ label: s.name, pid: s.pid }],
      ),
    ],
  };
}

/** A call to the gateway's API as the bench key; anything but 2xx throws, naming the answer. */
async function call<T>(world: World, path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${world.api}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${KEY}`, ...init.headers },
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

const getBatch = (world: World, id: string): Promise<BatchView> => call<BatchView>(world, `/batches/${id}`);

async function waitBatch(
  world: World,
  id: string,
  what: string,
  ok: (b: BatchView) => boolean,
  timeoutMs: number,
): Promise<BatchView> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const b = await getBatch(world, id);
    if (ok(b)) return b;
    if (ENDED.has(b.status) || Date.now() > until)
      throw new Error(`batch ${id} not ${what}: ${b.status} ${JSON.stringify(b.request_counts ?? b.errors)}`);
    await sleep(250);
  }
}

/** Uploads BATCH_LINES chat lines as a `batch` file and creates the batch. */
async function submitBatch(world: World): Promise<BatchView> {
  const lines = Array.from({ length: BATCH_LINES }, (_, i) =>
    JSON.stringify({
      custom_id: `line-${i}`,
      method: "POST",
      url: "/v1/chat/completions",
      body: {
        model: MODEL,
        messages: [{ role: "user", content: `Batch line ${i}: say something short.` }],
        max_tokens: 16,
      },
    }),
  );
  const form = new FormData();
  form.append("purpose", "batch");
  form.append(
    "file",
    new Blob([lines.join("\n") + "\n"], { type: "application/jsonl" }),
    "bench-batch.jsonl",
  );
  const file = await call<{ id: string }>(world, "/files", { method: "POST", body: form });
  return call<BatchView>(world, "/batches", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    }),
  });
}

/** CPU seconds the whole machine has been busy (every core; /proc/stat, ticks of 10 ms). */
function machineBusySeconds(): number {
  const ticks = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "")
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return (ticks.reduce((a, b) => a + b, 0) - idle) / 100;
}

/** Cores each process used over an interval, this process as "load generator", the rest as "others". */
function startCpuShare(procs: { label: string; pid: number }[]): () => Record<string, number> {
  const before = procs.map((p) => cpuSeconds(p.pid));
  const machine = machineBusySeconds();
  const self = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const seconds = (performance.now() - t0) / 1000;
    const out: Record<string, number> = {};
    procs.forEach((p, i) => (out[p.label] = (out[p.label] ?? 0) + cpuSeconds(p.pid) - (before[i] ?? 0)));
    const used = process.cpuUsage(self);
    out["load generator"] = (used.user + used.system) / 1e6;
    const ours = Object.values(out).reduce((a, b) => a + b, 0);
    out.others = Math.max(0, machineBusySeconds() - machine - ours);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v / seconds]));
  };
}

interface PhaseResult {
  load: LoadResult;
  /** Cores used, by process. */
  cores: Record<string, number>;
  /** The machine's 1-minute load average as the phase started. */
  loadAverage: number;
}

async function measure(world: World, what: string): Promise<PhaseResult> {
  log(`${what}: ${CONCURRENCY} clients for ${SECONDS} s`);
  const loadAverage = loadavg()[0] ?? NaN;
  const cpu = startCpuShare(world.processes());
  const load = await runLoad(interactive(world), { connections: CONCURRENCY, seconds: SECONDS });
  return { load, cores: cpu(), loadAverage };
}

const interactive = (world: World): Target => ({
  url: `${world.api}/chat/completions`,
  headers: { authorization: `Bearer ${KEY}` },
  body: JSON.stringify({
    model: MODEL,
    messages: [{ role: "user", content: "Say something short about batches." }],
    max_tokens: 16,
  }),
});

interface BatchDuringB {
  linesPerSecond: number;
  /** Seconds into phase B the batch ended, if it did (then B was partly without it). */
  endedAfterS: number | undefined;
  before: BatchView;
  after: BatchView;
}

/** Phase B: the interactive load while the batch runs, its progress read every second. */
async function measureWithBatch(world: World, id: string): Promise<PhaseResult & { batch: BatchDuringB }> {
  const before = await getBatch(world, id);
  const t0 = performance.now();
  let running = true;
  let endedAfterS: number | undefined;
  const phase = measure(world, "phase B, with the batch running").finally(() => (running = false));
  while (running) {
    await Promise.race([phase, sleep(1000)]);
    const b = await getBatch(world, id);
    if (endedAfterS === undefined && ENDED.has(b.status)) endedAfterS = (performance.now() - t0) / 1000;
  }
  const result = await phase;
  const after = await getBatch(world, id);
  const seconds = endedAfterS ?? (performance.now() - t0) / 1000;
  const linesPerSecond = (linesDone(after) - linesDone(before)) / seconds;
  return { ...result, batch: { linesPerSecond, endedAfterS, before, after } };
}

const ms = (x: number): string => x.toFixed(1);
const ratio = (b: number, a: number): number => (a > 0 ? b / a : NaN);
const pct = (x: number): string => `${Math.round(x * 100)} %`;
const settingsLabel = (): string =>
  `${CONCURRENCY} clients, ${BATCH_LINES} lines, ${
    Object.keys(BATCH_ENV).length === 0
      ? "orchestrator defaults"
      : Object.entries(BATCH_ENV)
          .map(([k, v]) => `${k}=${v}`)
          .join(" ")
  }`;

/** The three phases and what they say about the target. */
interface Outcome {
  a: PhaseResult;
  b: PhaseResult & { batch: BatchDuringB };
  /** A again once the batch was cancelled: how far the baseline itself moved meanwhile. */
  again: PhaseResult;
  r50: number;
  r99: number;
  pass: boolean;
  /** The larger change of p50 or p99 from A to A again (0.35: 35 %). */
  drift: number;
}

function outcome(a: PhaseResult, b: Outcome["b"], again: PhaseResult): Outcome {
  const r50 = ratio(b.load.latency.p50, a.load.latency.p50);
  const r99 = ratio(b.load.latency.p99, a.load.latency.p99);
  const drift = Math.max(
    Math.abs(ratio(again.load.latency.p50, a.load.latency.p50) - 1),
    Math.abs(ratio(again.load.latency.p99, a.load.latency.p99) - 1),
  );
  return { a, b, again, r50, r99, pass: r50 <= TARGET_RATIO && r99 <= TARGET_RATIO, drift };
}

const steady = (o: Outcome): boolean => o.drift <= TARGET_RATIO - 1;
const verdict = (o: Outcome): string =>
  `${o.pass ? "PASS" : "FAIL"}${steady(o) ? "" : ` (A moved ${pct(o.drift)} by itself)`}`;

function table(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ")).join("\n");
}

const PHASES = ["A", "B (+ batch)", "A again"] as const;
const phasesOf = (o: Outcome): PhaseResult[] => [o.a, o.b, o.again];

function loadRows(o: Outcome): string[][] {
  const rows = phasesOf(o).map((p, i) => {
    const r = p.load;
    const l = r.latency;
    return [
      PHASES[i] ?? "",
      ms(l.p50),
      ms(l.p90),
      ms(l.p99),
      ms(l.max),
      r.rps.toFixed(0),
      String(r.non2xx),
      String(r.errors),
    ];
  });
  return [["phase", "p50 ms", "p90 ms", "p99 ms", "max ms", "req/s", "non-2xx", "errors"], ...rows];
}

/** Cores each process used in each phase, busiest in B first. */
function cpuRows(o: Outcome): string[][] {
  const phases = phasesOf(o);
  const labels = [...new Set(phases.flatMap((p) => Object.keys(p.cores)))].sort(
    (x, y) => (o.b.cores[y] ?? 0) - (o.b.cores[x] ?? 0),
  );
  return [
    ["process", ...PHASES.map((p) => `cores in ${p}`)],
    ...labels.map((l) => [l, ...phases.map((p) => (p.cores[l] ?? 0).toFixed(2))]),
  ];
}

const mdTable = (rows: string[][]): string[] => [
  `| ${(rows[0] ?? []).join(" | ")} |`,
  `|${(rows[0] ?? []).map(() => "---").join("|")}|`,
  ...rows.slice(1).map((r) => `| ${r.join(" | ")} |`),
];

/** Why the numbers may mislead: other work on the machine, a batch that ended early. */
function caveats(o: Outcome): string[] {
  const out: string[] = [];
  const others = phasesOf(o).map((p) => (p.cores.others ?? 0).toFixed(2));
  const loads = phasesOf(o).map((p) => p.loadAverage.toFixed(1));
  out.push(
    `other work on the machine took ${others.join(" / ")} cores in A / B / A again (1-minute load average ${loads.join(" / ")} as each started)`,
  );
  if (!steady(o))
    out.push(
      `the baseline moved ${pct(o.drift)} between A and A again with no batch running: the machine's other load changed, so B/A says little; run it again`,
    );
  if (o.b.batch.endedAfterS !== undefined && o.b.batch.endedAfterS < SECONDS * 0.95)
    out.push(`the batch ended ${o.b.batch.endedAfterS.toFixed(0)} s into B, so B ran partly without it`);
  return out;
}

/** The docs section: one row per settings (this run's replacing its own), then this run's detail. */
function docSection(previous: string, o: Outcome): string {
  const date = new Date().toISOString().slice(0, 10);
  const label = settingsLabel();
  const cell = `\`${label}\``;
  const p50p99 = (p: PhaseResult): string => `${ms(p.load.latency.p50)} / ${ms(p.load.latency.p99)}`;
  const row = [
    cell,
    date,
    p50p99(o.a),
    o.a.load.rps.toFixed(0),
    p50p99(o.b),
    o.b.load.rps.toFixed(0),
    p50p99(o.again),
    o.r50.toFixed(2),
    o.r99.toFixed(2),
    o.b.batch.linesPerSecond.toFixed(0),
    verdict(o),
  ];
  const line = `| ${row.join(" | ")} |`;
  const rows = previous.split("\n").filter((l) => l.startsWith("| `"));
  const mine = rows.findIndex((l) => l.startsWith(`| ${cell} |`));
  if (mine < 0) rows.push(line);
  else rows[mine] = line;
  return [
    HEADING,
    "",
    `Generated by \`npm run bench:batch\` (\`bench/src/batch-interference.ts\`); a run replaces the row of its settings. Loopback, ${cpus().length} cores; the MOCK provider answers after ${UPSTREAM.replace("latency=", "")} ms; ingress, guard, router, meter, provider and orchestrator one process each. A: ${CONCURRENCY} clients in a closed loop of non-streaming chat (\`${MODEL}\`, \`max_tokens\` 16) for ${SECONDS} s after a ${WARMUP_SECONDS} s warmup. B: the same while a ${BATCH_LINES}-line batch of the same model runs (from once ${STARTED_LINES} lines are done). A again: the same once the batch is cancelled, to see whether the baseline itself moved. Target: B's p50 and p99 within ${pct(TARGET_RATIO - 1)} of A's.`,
    "",
    "| settings | date | A p50 / p99 ms | A req/s | B p50 / p99 ms | B req/s | A again p50 / p99 ms | B/A p50 | B/A p99 | batch lines/s in B | target |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
    ...rows,
    "",
    `Latest run (${label}, ${date}): ${caveats(o).join("; ")}. Cores each process used (*others*: the machine's busy time outside this run):`,
    "",
    ...mdTable(cpuRows(o)),
    "",
  ].join("\n");
}

/** Replaces the section under HEADING in docs/batches.md (up to the next `## `), or appends it. */
function writeDoc(render: (previous: string) => string): string {
  const file = join(repoRoot(), "docs", "batches.md");
  const text = readFileSync(file, "utf8");
  const start = text.search(new RegExp(`^${HEADING}$`, "m"));
  if (start < 0) {
    writeFileSync(file, `${text.replace(/\n*$/, "\n")}\n${render("")}`);
    return file;
  }
  const next = text.slice(start + HEADING.length).search(/^## /m);
  const end = next < 0 ? text.length : start + HEADING.length + next;
  writeFileSync(
    file,
    `${text.slice(0, start)}${render(text.slice(start, end))}${next < 0 ? "" : "\n"}${text.slice(end)}`,
  );
  return file;
}

/** Cancels the batch unless it ended, and waits until it has (bounded). */
async function stopBatch(world: World, id: string): Promise<void> {
  const b = await getBatch(world, id);
  if (ENDED.has(b.status)) return;
  log(`cancelling ${id} (${b.status}, ${linesDone(b)} of ${BATCH_LINES} lines done)`);
  if (b.status !== "cancelling") await call(world, `/batches/${id}/cancel`, { method: "POST" });
  const end = await waitBatch(world, id, "cancelled", (x) => ENDED.has(x.status), 60_000);
  log(`batch ${end.status}`);
}

async function main(): Promise<void> {
  process.once("SIGINT", () => void undo.run().then(() => process.exit(130)));
  process.once("SIGTERM", () => void undo.run().then(() => process.exit(143)));
  setTimeout(() => {
    log(`still running after ${DEADLINE_MS / 1000} s; stopping everything`);
    void undo.run().then(() => process.exit(2));
  }, DEADLINE_MS).unref();
  log(
    `batch settings: ${Object.keys(BATCH_ENV).length === 0 ? "orchestrator defaults" : JSON.stringify(BATCH_ENV)}`,
  );
  const world = await startWorld();
  log(`up (logs in ${world.folder}/logs); warming up for ${WARMUP_SECONDS} s`);
  await runLoad(interactive(world), { connections: CONCURRENCY, seconds: WARMUP_SECONDS });
  const a = await measure(world, "phase A, interactive only");

  const created = await submitBatch(world);
  const cancel = (): Promise<void> => stopBatch(world, created.id);
  undo.push(cancel);
  log(`batch ${created.id} created; waiting until ${STARTED_LINES} lines are done`);
  const started = await waitBatch(
    world,
    created.id,
    "running",
    (x) => x.status === "in_progress" && linesDone(x) >= STARTED_LINES,
    120_000,
  );
  log(`batch in progress, ${linesDone(started)} lines done`);
  const b = await measureWithBatch(world, created.id);
  log(
    `batch during B: ${linesDone(b.batch.before)} → ${linesDone(b.batch.after)} lines done (${b.batch.after.status})`,
  );
  undo.remove(cancel);
  await cancel();
  const again = await measure(world, "phase A again, the batch cancelled");
  await undo.run();

  const o = outcome(a, b, again);
  console.log(`\n${table(loadRows(o))}\n`);
  console.log(`batch lines/s during B: ${b.batch.linesPerSecond.toFixed(0)}`);
  console.log(`\n${table(cpuRows(o))}\n`);
  for (const c of caveats(o)) console.log(`note: ${c}`);
  console.log(`B/A p50 ${o.r50.toFixed(2)}, p99 ${o.r99.toFixed(2)}`);
  console.log(`${verdict(o)}  interactive p50 and p99 within ${pct(TARGET_RATIO - 1)} of phase A`);
  const doc = writeDoc((previous) => docSection(previous, o));
  log(`wrote ${doc}`);
  rmSync(world.folder, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    console.error(`[bench:batch] ${(err as Error).stack ?? String(err)}`);
    await undo.run();
    process.exit(1);
  },
);

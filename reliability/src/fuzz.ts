// `npm run fuzz -- [inputs per door] [seed]`: the door fuzzer at scale (default 100,000 inputs
// per door) against a private deployment with every stage in its own process. Reports the
// answers by status, improper ones, and every process's memory before and after, and that none
// of them crashed; the table goes into docs/reliability.md. Loopback only; stops by itself.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { repoRoot } from "@switchyard/local-stack";
import { KEY, startDeployment } from "./deployment.js";
import { fuzzGrpc, fuzzHttp, type DoorTally } from "./fuzz-doors.js";
import { writeSection } from "./report-file.js";

const INPUTS = Number(process.argv[2] ?? 100_000);
const SEED = Number(process.argv[3] ?? 20261201);
const log = (line: string): void => console.log(`[fuzz] ${line}`);

const rssMb = (pid: number): number => {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
};

async function main(): Promise<void> {
  const d = await startDeployment({
    replicas: { ingress: 1, guard: 1, router: 1, meter: 1, provider: 1 },
    log,
  });
  process.once("SIGINT", () => void d.stop().then(() => process.exit(130)));
  const pids = new Map(d.cluster.processes.map((p) => [p.name, p.child.pid ?? 0]));
  const memBefore = new Map([...pids].map(([name, pid]) => [name, rssMb(pid)]));
  // Memory of every process as the inputs go by: bounded means it stops growing.
  const samples: Map<string, number>[] = [];
  const sampler = setInterval(
    () => samples.push(new Map([...pids].map(([name, pid]) => [name, rssMb(pid)]))),
    2000,
  );
  const tallies: DoorTally[] = [];
  let crashed: string[] = [];
  let memAfter = new Map<string, number>();
  try {
    const [door] = d.doors;
    log(`${INPUTS} inputs per door, seed ${SEED}`);
    tallies.push(await fuzzGrpc(door!.grpc, { inputs: INPUTS, seed: SEED, key: KEY, concurrency: 16 }));
    log(`grpc done: ${JSON.stringify(tallies[0]?.answers)}`);
    tallies.push(await fuzzHttp(door!.http, { inputs: INPUTS, seed: SEED, key: KEY, concurrency: 16 }));
    log(`http done: ${JSON.stringify(tallies[1]?.answers)}`);
    crashed = [...pids].filter(([name, pid]) => d.procs(name)[0]?.child.pid !== pid).map(([name]) => name);
  } finally {
    clearInterval(sampler);
    memAfter = new Map([...pids].map(([name, pid]) => [name, rssMb(pid)]));
    await d.stop();
  }
  const half = samples[Math.floor(samples.length / 2)] ?? memBefore;
  const peak = (name: string): number => Math.max(...samples.map((s) => s.get(name) ?? 0), 0);
  for (const t of tallies) for (const f of t.failures) log(`improper: ${f}`);
  const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot() }).toString().trim();
  writeSection("fuzz", [
    `Run on ${new Date().toISOString().slice(0, 10)} at commit \`${commit}\` (\`npm run fuzz -- ${INPUTS} ${SEED}\`): every stage in its own process, 16 calls at a time, each with a 15 s client deadline.`,
    "",
    "| door | inputs | time | answers | improper answers |",
    "|---|---|---|---|---|",
    ...tallies.map(
      (t) =>
        `| ${t.door} | ${t.inputs} | ${(t.ms / 1000).toFixed(0)} s | ${Object.entries(t.answers)
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")} | ${t.failed} |`,
    ),
    "",
    `Processes that crashed or restarted: ${crashed.length === 0 ? "none" : crashed.join(", ")}.`,
    "",
    "| process | RSS before | halfway | after | peak |",
    "|---|---|---|---|---|",
    ...[...memBefore].map(
      ([name, mb]) =>
        `| ${name} | ${mb.toFixed(0)} MiB | ${(half.get(name) ?? 0).toFixed(0)} MiB | ${(memAfter.get(name) ?? 0).toFixed(0)} MiB | ${peak(name).toFixed(0)} MiB |`,
    ),
  ]);
  log("wrote docs/reliability.md");
  if (crashed.length > 0 || tallies.some((t) => t.failed > 0)) process.exit(1);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

// `npm run chaos`: every stage with two replicas (two ingress replicas behind a client that
// fails over like a load balancer) under a steady open-loop load, and one fault at a time:
// SIGKILL a replica of ingress, guard, router, meter and provider (the launcher restarts it, as
// npm start and Kubernetes would), restart NATS, stop Redis for 10 s. For each fault it reports
// requests lost, how long the lost ones waited, how long until errors stopped, and usage
// events missing or doubled; the table goes into docs/reliability.md with the date and commit.
// Loopback only, bounded (about four minutes), and it stops everything it started.
import { execFileSync } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { connect } from "@nats-io/transport-node";
import { repoRoot } from "@switchyard/local-stack";
import { Agent, request } from "undici";
import { LIMITED_KEY, startDeployment, type Deployment } from "./deployment.js";
import { writeSection } from "./report-file.js";
import { readUsageEvents } from "./usage-events.js";

const RATE = Number(process.env.CHAOS_RATE ?? 40);
const UPSTREAM_MS = 100;
const SETTLE_MS = 5_000;
const OBSERVE_MS = 12_000;
const log = (line: string): void => console.log(`[chaos] ${line}`);

interface Sent {
  id: string;
  start: number;
  end: number;
  ok: boolean;
  error: string;
}

interface Fault {
  name: string;
  run(d: Deployment): Promise<void>;
}

/** SIGKILL replica 0 of a service, from outside: the launcher sees a crash and restarts it. */
const kill = (service: "ingress" | "guard" | "router" | "meter" | "provider"): Fault => ({
  name: `SIGKILL ${service === "ingress" ? "an" : "a"} ${service} replica`,
  run(d) {
    d.procs(service)[0]?.child.kill("SIGKILL");
    return Promise.resolve();
  },
});

const FAULTS: Fault[] = [
  kill("ingress"),
  kill("guard"),
  kill("router"),
  kill("meter"),
  kill("provider"),
  {
    name: "restart NATS",
    async run(d) {
      await d.stack.kill("nats");
      await d.stack.start("nats");
    },
  },
  {
    name: "stop Redis for 10 s",
    async run(d) {
      await d.stack.kill("redis");
      await sleep(10_000);
      await d.stack.start("redis");
    },
  },
];

/** An open-loop client over the ingress replicas that, like a load balancer, skips one for 2 s after it fails to connect. */
function startLoad(d: Deployment, sent: Sent[]): () => Promise<void> {
  const agent = new Agent({ connections: 64, keepAliveTimeout: 4_000 });
  const downUntil = d.doors.map(() => 0);
  let n = 0;
  const inFlight = new Set<Promise<void>>();
  const one = async (): Promise<void> => {
    const i = n++;
    const now = Date.now();
    const door =
      [i % d.doors.length, (i + 1) % d.doors.length].find((k) => downUntil[k]! <= now) ?? i % d.doors.length;
    const rec: Sent = { id: `chaos-${i}`, start: now, end: 0, ok: false, error: "" };
    sent.push(rec);
    try {
      const res = await request(`${d.doors[door]!.http}/v1/chat/completions`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${LIMITED_KEY}`,
          "content-type": "application/json",
          "x-request-id": rec.id,
        },
        body: JSON.stringify({
          model: "mock-gpt",
          messages: [{ role: "user", content: `chaos ${i} [mock:latency=${UPSTREAM_MS}]` }],
        }),
        dispatcher: agent,
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.body.text();
      rec.ok = res.statusCode === 200;
      if (!rec.ok) {
        const m = /"message":"([^"]{0,80})[^"]*".*"code":"(\w+)"/.exec(text);
        rec.error = `${res.statusCode} ${m?.[2] ?? ""}: ${m?.[1] ?? text.slice(0, 80)}`;
      }
    } catch (err) {
      rec.error = (err as Error).message;
      const code = (err as { code?: string }).code ?? "";
      if (/ECONNREFUSED|ECONNRESET|UND_ERR_SOCKET|EPIPE/.test(code)) downUntil[door] = Date.now() + 2_000;
    } finally {
      rec.end = Date.now();
    }
  };
  const timer = setInterval(() => {
    const p = one().finally(() => inFlight.delete(p));
    inFlight.add(p);
  }, 1000 / RATE);
  return async () => {
    clearInterval(timer);
    await Promise.all(inFlight);
    await agent.close();
  };
}

interface Row {
  fault: string;
  requests: number;
  lost: number;
  lostWaitedMs: number;
  recoveredMs: number;
  /** The slowest request that succeeded (those resent after a loss wait the longest). */
  slowestOkMs: number;
  missing: number;
  doubled: number;
  errors: string[];
}

function percentile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
}

async function main(): Promise<void> {
  const d = await startDeployment({
    replicas: { ingress: 2, guard: 2, router: 2, meter: 2, provider: 2 },
    log,
  });
  process.once("SIGINT", () => void d.stop().then(() => process.exit(130)));
  const sent: Sent[] = [];
  const windows: { fault: string; from: number; at: number; to: number }[] = [];
  let rows: Row[] = [];
  try {
    log(
      `${d.doors.length} ingress replicas, two of every stage; ${RATE} requests/s, upstream ${UPSTREAM_MS} ms`,
    );
    const stopLoad = startLoad(d, sent);
    await sleep(SETTLE_MS);
    for (const fault of FAULTS) {
      const from = Date.now() - 1000;
      const at = Date.now();
      log(`fault: ${fault.name}`);
      await fault.run(d);
      await sleep(OBSERVE_MS);
      windows.push({ fault: fault.name, from, at, to: Date.now() });
      // Every process back and ready before the next fault.
      await Promise.all(d.cluster.processes.map((p) => d.cluster.waitReady(p, 60_000)));
    }
    await stopLoad();
    log(`${sent.length} requests sent; reading usage events`);
    const prefix = "sy";
    const nc = await connect({ servers: d.stack.urls.nats });
    const counts = new Map<string, number>();
    try {
      // Events still in outboxes or batches arrive within seconds; wait until the count holds.
      let last = -1;
      for (let i = 0; i < 30; i++) {
        counts.clear();
        for (const e of await readUsageEvents(nc, prefix))
          counts.set(e.requestId, (counts.get(e.requestId) ?? 0) + 1);
        if (counts.size === last) break;
        last = counts.size;
        await sleep(1000);
      }
    } finally {
      await nc.close();
    }
    rows = windows.map((w) => {
      const inWindow = sent.filter((s) => s.start >= w.from && s.start < w.to);
      const lost = inWindow.filter((s) => !s.ok);
      const lastFailure = Math.max(w.at, ...lost.map((s) => s.end));
      return {
        fault: w.fault,
        requests: inWindow.length,
        lost: lost.length,
        lostWaitedMs:
          lost.length > 0
            ? percentile(
                lost.map((s) => s.end - s.start),
                1,
              )
            : 0,
        recoveredMs: lost.length > 0 ? lastFailure - w.at : 0,
        slowestOkMs: percentile(
          inWindow.filter((s) => s.ok).map((s) => s.end - s.start),
          1,
        ),
        missing: inWindow.filter((s) => s.ok && !counts.has(s.id)).length,
        doubled: inWindow.filter((s) => (counts.get(s.id) ?? 0) > 1).length,
        errors: [...new Set(lost.map((s) => s.error))].slice(0, 3),
      };
    });
  } finally {
    await d.stop();
  }
  for (const r of rows)
    log(
      `${r.fault}: ${r.requests} requests, lost ${r.lost} (longest wait ${r.lostWaitedMs} ms, errors until +${r.recoveredMs} ms), slowest answer ${r.slowestOkMs} ms, events missing ${r.missing}, doubled ${r.doubled} ${r.errors.join("; ")}`,
    );
  const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot() }).toString().trim();
  writeSection("chaos", [
    `Run on ${new Date().toISOString().slice(0, 10)} at commit \`${commit}\` (\`npm run chaos\`): two ingress replicas behind a client that skips one for 2 s after it fails to connect (as a load balancer would), two replicas of every stage, an open loop of ${RATE} requests/s (upstream latency ${UPSTREAM_MS} ms, a key with a rate limit so every admission goes to Redis), ${SETTLE_MS / 1000} s of steady load, then each fault in turn with ${OBSERVE_MS / 1000} s to watch it. A killed replica is restarted by the launcher, as \`npm start\` would. Each row counts the requests started from 1 s before the fault to the end of its window; *slowest answered* is the longest a request took that succeeded (a request resent after its replica was lost waits about a second more than the others).`,
    "",
    "| fault | requests | lost | longest wait of a lost one | errors stopped after | slowest answered | usage events missing | doubled | what the lost ones got |",
    "|---|---|---|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.fault} | ${r.requests} | ${r.lost} | ${r.lost ? `${r.lostWaitedMs} ms` : "—"} | ${r.lost ? `${r.recoveredMs} ms` : "—"} | ${r.slowestOkMs} ms | ${r.missing} | ${r.doubled} | ${r.errors.join("; ") || "—"} |`,
    ),
  ]);
  log("wrote docs/reliability.md");
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

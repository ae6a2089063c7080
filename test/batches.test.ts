// Batches end to end on the real Temporal dev server, NATS and the mock: the official openai SDK
// uploads a JSONL file, creates a batch, polls it to the end and downloads its output and error
// files; an orchestrator killed mid-batch loses no line and bills none twice; a cancel ends
// with partial output; malformed lines are named by number; another tenant sees nothing.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { Client, Connection } from "@temporalio/client";
import OpenAI, { toFile } from "openai";
import { sha256Key } from "@switchyard/devkit";
import { repoRoot, tempDir, testStack } from "./harness/env.js";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";
import { readUsageEvents } from "./harness/usage-events.js";

const OTHER_TENANT_KEY = "sy-test-globex-batches";
/**
 * Small pages, so a batch of a few hundred lines has several and kills land mid-page; more lines
 * in flight than the defaults, so the suite is short.
 */
const ORCHESTRATOR_ENV = {
  SWITCHYARD_BATCH_LINES_PER_PAGE: "50",
  SWITCHYARD_BATCH_PAGES_PER_RUN: "4",
  SWITCHYARD_BATCH_LINES_IN_FLIGHT: "8",
  SWITCHYARD_BATCH_PAGES_IN_FLIGHT: "2",
  SWITCHYARD_BATCH_TENANT_IN_FLIGHT: "32",
};

type Line = { custom_id: string; method: string; url: string; body: Record<string, unknown> };

function chatLine(customId: string, text: string): Line {
  return {
    custom_id: customId,
    method: "POST",
    url: "/v1/chat/completions",
    body: { model: "mock-gpt", messages: [{ role: "user", content: text }], max_tokens: 16 },
  };
}

const jsonl = (lines: readonly unknown[]): string => lines.map((l) => JSON.stringify(l)).join("\n") + "\n";

async function waitFor(
  client: OpenAI,
  id: string,
  done: (b: OpenAI.Batches.Batch) => boolean,
  timeoutMs: number,
): Promise<OpenAI.Batches.Batch> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const b = await client.batches.retrieve(id);
    if (done(b)) return b;
    if (Date.now() > until)
      throw new Error(`batch ${id} still ${b.status} (${JSON.stringify(b.request_counts)})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const ended = (b: OpenAI.Batches.Batch): boolean =>
  ["completed", "failed", "expired", "cancelled"].includes(b.status);

async function fileLines(client: OpenAI, id: string | null | undefined): Promise<Record<string, unknown>[]> {
  if (id === null || id === undefined) return [];
  const text = await (await client.files.content(id)).text();
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function submit(
  client: OpenAI,
  lines: readonly unknown[],
  name: string,
): Promise<OpenAI.Batches.Batch> {
  const file = await client.files.create({
    file: await toFile(Buffer.from(jsonl(lines)), name),
    purpose: "batch",
  });
  return client.batches.create({
    input_file_id: file.id,
    endpoint: "/v1/chat/completions",
    completion_window: "24h",
  });
}

describe("batches on Temporal", () => {
  let gw: GatewayUnderTest;
  let client: OpenAI;
  let other: OpenAI;

  before(async () => {
    gw = await startGateway({
      replicas: { orchestrator: 1 },
      serviceEnv: { orchestrator: ORCHESTRATOR_ENV },
      gatewayFile: (file) => {
        (file.tenants as unknown[]).push({ id: "globex" });
        (file.keys as unknown[]).push({
          id: "globex-batches",
          tenant: "globex",
          hash: sha256Key(OTHER_TENANT_KEY),
        });
      },
    });
    client = new OpenAI({ baseURL: gw.httpUrl, apiKey: KEYS.dev, maxRetries: 0 });
    other = new OpenAI({ baseURL: gw.httpUrl, apiKey: OTHER_TENANT_KEY, maxRetries: 0 });
  });
  after(() => gw?.stop());

  it("runs 1,000 lines from the SDK to an output and an error file", async () => {
    const lines = Array.from({ length: 1000 }, (_, i) =>
      chatLine(`req-${i}`, i % 50 === 7 ? `line ${i} [mock:error=400]` : `line ${i}`),
    );
    const created = await submit(client, lines, "thousand.jsonl");
    assert.equal(created.object, "batch");
    assert.equal(created.status, "validating");
    assert.equal(created.endpoint, "/v1/chat/completions");
    const batch = await waitFor(client, created.id, ended, 180_000);
    assert.equal(batch.status, "completed", JSON.stringify(batch.errors));
    assert.deepEqual(batch.request_counts, { total: 1000, completed: 980, failed: 20 });
    for (const field of ["in_progress_at", "finalizing_at", "completed_at"] as const)
      assert.ok((batch[field] ?? 0) >= batch.created_at, field);
    assert.ok((batch.usage?.input_tokens ?? 0) > 0 && (batch.usage?.output_tokens ?? 0) > 0);

    const output = await fileLines(client, batch.output_file_id);
    const errors = await fileLines(client, batch.error_file_id);
    assert.equal(output.length, 980);
    assert.equal(errors.length, 20);
    const ids = new Set([...output, ...errors].map((l) => l.custom_id));
    assert.equal(ids.size, 1000, "one line per custom_id");
    const ok = output[0] as {
      id: string;
      response: { status_code: number; request_id: string; body: { object: string } };
      error: null;
    };
    assert.match(ok.id, /^batch_req_/);
    assert.equal(ok.response.status_code, 200);
    assert.equal(ok.response.body.object, "chat.completion");
    assert.equal(ok.error, null);
    assert.ok(ok.response.request_id.startsWith(`${batch.id}-`));
    const bad = errors[0] as { response: { status_code: number; body: { error: { message: string } } } };
    assert.ok(bad.response.status_code >= 400, JSON.stringify(bad));

    // Each line went through the pipeline once: one usage event each, door "batch".
    const events = (await readUsageEvents(gw.nc, gw.prefix)).filter((e) => e.batchId === batch.id);
    assert.equal(new Set(events.map((e) => e.requestId)).size, 1000);
    assert.equal(events.length, 1000);
    assert.ok(events.every((e) => e.door === "batch"));

    // Temporal finds the batch by its search attributes, and its 20 pages ran over 5 workflow
    // runs (4 pages a run here), each continued as new.
    const connection = await Connection.connect({ address: testStack().temporalAddress });
    try {
      const temporal = new Client({ connection });
      const query = `SwitchyardBatchId = "${batch.id}" AND SwitchyardTenant = "local"`;
      let runs: string[] = [];
      // Visibility lags the workflow a little.
      for (let tries = 0; tries < 50; tries++) {
        runs = [];
        for await (const run of temporal.workflow.list({ query })) runs.push(run.status.name);
        if (runs.length === 5 && runs.includes("COMPLETED")) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(runs.length, 5, runs.join());
      assert.equal(runs.filter((s) => s === "CONTINUED_AS_NEW").length, 4, runs.join());
    } finally {
      await connection.close();
    }
  });

  it("finishes a batch whose orchestrator was killed mid-run, losing no line and billing none twice", async () => {
    const n = 600;
    const lines = Array.from({ length: n }, (_, i) => chatLine(`k-${i}`, `slow ${i} [mock:latency=100]`));
    const created = await submit(client, lines, "kill.jsonl");
    await waitFor(client, created.id, (b) => (b.request_counts?.completed ?? 0) >= 100, 60_000);
    const [victim] = gw.procs("orchestrator");
    await gw.cluster.stopProcess(victim!, "SIGKILL");
    const mid = await client.batches.retrieve(created.id);
    assert.equal(mid.status, "in_progress", "the batch reads while no orchestrator runs");
    const restarted = await gw.cluster.start("orchestrator", ORCHESTRATOR_ENV);
    await gw.cluster.waitReady(restarted, 60_000);
    const batch = await waitFor(client, created.id, ended, 180_000);
    assert.equal(batch.status, "completed");
    assert.deepEqual(batch.request_counts, { total: n, completed: n, failed: 0 });
    const output = await fileLines(client, batch.output_file_id);
    assert.equal(output.length, n);
    assert.equal(new Set(output.map((l) => l.custom_id)).size, n);

    const events = (await readUsageEvents(gw.nc, gw.prefix)).filter((e) => e.batchId === batch.id);
    const ids = new Set(events.map((e) => e.requestId));
    assert.equal(ids.size, n, "one request id per line: settlement and analytics count each once");
    // A line that finished in the instant between its usage event and its result record is run
    // again under the same id (de-duplicated downstream); at most the lines in flight.
    assert.ok(events.length - n <= 16, `${events.length - n} repeated events`);
    console.log(`kill test: ${events.length - n} lines run again after the kill`);
  });

  it("cancels mid-batch: cancelling, then cancelled with partial output", async () => {
    const lines = Array.from({ length: 400 }, (_, i) => chatLine(`c-${i}`, `slow ${i} [mock:latency=150]`));
    const created = await submit(client, lines, "cancel.jsonl");
    await waitFor(client, created.id, (b) => (b.request_counts?.completed ?? 0) >= 20, 60_000);
    const cancelling = await client.batches.cancel(created.id);
    assert.equal(cancelling.status, "cancelling");
    assert.ok((cancelling.cancelling_at ?? 0) > 0);
    const batch = await waitFor(client, created.id, ended, 60_000);
    assert.equal(batch.status, "cancelled");
    const output = await fileLines(client, batch.output_file_id);
    assert.ok(output.length >= 20 && output.length < 400, `${output.length} lines of output`);
    assert.equal(batch.request_counts?.completed, output.length);
    await assert.rejects(
      client.batches.cancel(created.id),
      (e: unknown) => (e as { status?: number }).status === 409,
    );
  });

  it("fails a batch with malformed lines, naming each line", async () => {
    const lines = [
      JSON.stringify(chatLine("a", "fine")),
      "{not json",
      JSON.stringify({ ...chatLine("b", "x"), url: "/v1/embeddings" }),
      JSON.stringify(chatLine("a", "duplicate id")),
      JSON.stringify({ ...chatLine("c", "x"), body: { model: "mock-gpt", messages: [] } }),
    ].join("\n");
    const file = await client.files.create({
      file: await toFile(Buffer.from(lines), "bad.jsonl"),
      purpose: "batch",
    });
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    const batch = await waitFor(client, created.id, ended, 60_000);
    assert.equal(batch.status, "failed");
    const problems = batch.errors?.data ?? [];
    assert.deepEqual(
      problems.map((p) => [p.line, p.param]),
      [
        [2, null],
        [3, "url"],
        [4, "custom_id"],
        [5, "body.messages"],
      ],
      JSON.stringify(problems),
    );
  });

  it("refuses bad create calls with the field named", async () => {
    const file = await client.files.create({
      file: await toFile(Buffer.from(jsonl([chatLine("x", "y")])), "one.jsonl"),
      purpose: "batch",
    });
    const cases: [Record<string, unknown>, number, string][] = [
      [{ endpoint: "/v1/chat/completions", completion_window: "24h" }, 400, "input_file_id"],
      [{ input_file_id: file.id, endpoint: "/v1/images", completion_window: "24h" }, 400, "endpoint"],
      [
        { input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "1h" },
        400,
        "completion_window",
      ],
      [
        {
          input_file_id: "file-doesnotexist00000000000",
          endpoint: "/v1/chat/completions",
          completion_window: "24h",
        },
        404,
        "input_file_id",
      ],
    ];
    for (const [body, status, param] of cases) {
      const res = await fetch(`${gw.httpUrl}/batches`, {
        method: "POST",
        headers: { authorization: `Bearer ${KEYS.dev}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, status, JSON.stringify(body));
      const err = (await res.json()) as { error: { param: string | null } };
      assert.equal(err.error.param, param);
    }
  });

  it("the batch CLI submits, waits and downloads against the real gateway", async () => {
    const dir = tempDir("batch-cli");
    const input = join(dir, "cli.jsonl");
    writeFileSync(input, jsonl(Array.from({ length: 30 }, (_, i) => chatLine(`cli-${i}`, `cli line ${i}`))));
    const cli = (...args: string[]) =>
      promisify(execFile)(
        "npx",
        ["tsx", "--conditions=source", join(repoRoot(), "scripts", "batch.ts"), ...args],
        {
          cwd: repoRoot(),
          env: { ...process.env, SWITCHYARD_URL: gw.httpUrl, SWITCHYARD_API_KEY: KEYS.dev },
        },
      );
    const submitted = await cli("submit", input, "--wait", "--interval", "200ms");
    const id = /batch_[A-Za-z0-9]{24}/.exec(submitted.stdout)?.[0];
    assert.ok(id !== undefined, submitted.stdout);
    assert.match(submitted.stdout, /completed/);
    await cli("download", id, "--out", dir);
    const output = readFileSync(join(dir, `${id}_output.jsonl`), "utf8")
      .trim()
      .split("\n");
    assert.equal(output.length, 30);
  });

  it("walls tenants: another tenant gets 404 for the batch and its files", async () => {
    const created = await submit(client, [chatLine("t-1", "mine")], "mine.jsonl");
    const batch = await waitFor(client, created.id, ended, 60_000);
    assert.equal(batch.status, "completed");
    const notFound = (e: unknown): boolean => (e as { status?: number }).status === 404;
    await assert.rejects(other.batches.retrieve(batch.id), notFound);
    await assert.rejects(other.batches.cancel(batch.id), notFound);
    await assert.rejects(other.files.content(batch.output_file_id!), notFound);
    await assert.rejects(other.files.retrieve(batch.input_file_id), notFound);
    const theirs = await other.batches.list();
    assert.ok(!theirs.data.some((b) => b.id === batch.id));
    const mine = await client.batches.list({ limit: 100 });
    assert.ok(mine.data.some((b) => b.id === batch.id));
  });
});

describe("a batch past its completion window", () => {
  let gw: GatewayUnderTest;
  let client: OpenAI;

  before(async () => {
    gw = await startGateway({
      replicas: { orchestrator: 1 },
      // The "24h" window lasts 4 s here.
      serviceEnv: { ingress: { SWITCHYARD_BATCH_WINDOW_SECONDS: "4" } },
    });
    client = new OpenAI({ baseURL: gw.httpUrl, apiKey: KEYS.dev, maxRetries: 0 });
  });
  after(() => gw?.stop());

  it("ends expired: lines answered in the output, the rest batch_expired in the error file", async () => {
    const n = 300;
    const lines = Array.from({ length: n }, (_, i) => chatLine(`e-${i}`, `slow ${i} [mock:latency=200]`));
    const created = await submit(client, lines, "expire.jsonl");
    const batch = await waitFor(client, created.id, ended, 60_000);
    assert.equal(batch.status, "expired");
    assert.ok((batch.expired_at ?? 0) >= batch.created_at);
    const output = await fileLines(client, batch.output_file_id);
    const errors = await fileLines(client, batch.error_file_id);
    assert.ok(output.length > 0 && output.length < n, `${output.length} answered`);
    assert.equal(output.length + errors.length, n);
    assert.ok(errors.every((l) => (l.error as { code: string } | null)?.code === "batch_expired"));
    assert.ok(errors.every((l) => l.response === null));
    assert.deepEqual(batch.request_counts, { total: n, completed: output.length, failed: errors.length });
  });
});

describe("a batch on a rate-limited key", () => {
  let gw: GatewayUnderTest;
  let client: OpenAI;

  before(async () => {
    gw = await startGateway({
      replicas: { orchestrator: 1 },
      limitedRpm: 2,
      // 2 requests per 2-second window.
      gatewayFile: (file) => {
        file.limits = { window_ms: 2_000, default_output_tokens: 64 };
      },
    });
    client = new OpenAI({ baseURL: gw.httpUrl, apiKey: KEYS.limited, maxRetries: 0 });
  });
  after(() => gw?.stop());

  it("waits for the key's window instead of failing its lines", async () => {
    const n = 7;
    const started = Date.now();
    const created = await submit(
      client,
      Array.from({ length: n }, (_, i) => chatLine(`rl-${i}`, `line ${i}`)),
      "rl.jsonl",
    );
    const batch = await waitFor(client, created.id, ended, 60_000);
    assert.equal(batch.status, "completed");
    assert.deepEqual(batch.request_counts, { total: n, completed: n, failed: 0 });
    // 7 lines at 2 per 2 s window take at least three windows.
    assert.ok(Date.now() - started >= 5_000, `${Date.now() - started} ms`);
    // Each answered line billed once: one ok event per line; the refusals it waited through
    // are events of their own ids.
    const events = (await readUsageEvents(gw.nc, gw.prefix)).filter((e) => e.batchId === batch.id);
    const ok = events.filter((e) => e.status === "ok");
    assert.equal(ok.length, n);
    assert.equal(new Set(ok.map((e) => e.requestId)).size, n);
    assert.ok(
      events.some((e) => e.status === "rate_limited"),
      "some lines were refused and waited",
    );
  });
});

// Prompt chains end to end on the real Temporal dev server, NATS and the mock: a three-step
// chain with a JSON-schema step, a conditional branch and a map step completes with each
// step's output, usage and cost; an answer that does not match the schema is asked again; an
// orchestrator killed mid-chain still completes the run, each step billed once.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sha256Key } from "@switchyard/devkit";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";
import { readUsageEvents } from "./harness/usage-events.js";

const OTHER_TENANT_KEY = "sy-test-globex-chains";

const FACTS_SCHEMA = {
  type: "object",
  properties: {
    topic: { type: "string" },
    items: { type: "array", items: { type: "string" }, minItems: 2, maxItems: 3 },
  },
  required: ["topic", "items"],
};

interface RunJson {
  id: string;
  status: string;
  output: unknown;
  error: { code: string } | null;
  steps: {
    id: string;
    status: string;
    output: unknown;
    attempts: number;
    usage: { input_tokens: number; output_tokens: number };
    cost_usd: number;
    request_ids: string[];
  }[];
  usage: { input_tokens: number; output_tokens: number };
  cost_usd: number;
}

/** The fields of the API's answers the tests read: a run, an error, or the list of chains. */
interface Answer {
  id: string;
  status: string;
  steps: { id: string; status: string }[];
  error: { param: string | null; code: string };
  data: { name: string }[];
}

describe("prompt chains on Temporal", () => {
  let gw: GatewayUnderTest;

  const call = async (
    path: string,
    body?: unknown,
    key: string = KEYS.dev,
  ): Promise<{ status: number; json: Answer }> => {
    const res = await fetch(`${gw.httpUrl}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Answer };
  };

  async function finished(id: string, timeoutMs = 60_000): Promise<RunJson> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const { json } = await call(`/chains/runs/${id}`);
      if (json.status !== "running") return json as unknown as RunJson;
      if (Date.now() > until) throw new Error(`run ${id} still running: ${JSON.stringify(json.steps)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  before(async () => {
    const step = (over: Record<string, unknown>) => ({ model: "mock-gpt", max_tokens: 64, ...over });
    gw = await startGateway({
      replicas: { orchestrator: 1 },
      gatewayFile: (file) => {
        (file.tenants as unknown[]).push({ id: "globex" });
        (file.keys as unknown[]).push({
          id: "globex-chains",
          tenant: "globex",
          hash: sha256Key(OTHER_TENANT_KEY),
        });
        file.chains = [
          {
            name: "brief",
            version: 1,
            inputs: ["text", "language"],
            steps: [
              step({ id: "extract", prompt: "List the facts of: {{inputs.text}}", schema: FACTS_SCHEMA }),
              step({
                id: "check",
                prompt: "Is {{steps.extract.output.topic}} worth a summary? {{inputs.language}}",
                next: [{ when: "inputs.language", equals: "none", goto: "end" }, { otherwise: "translate" }],
              }),
              step({ id: "skipped", prompt: "never run" }),
              step({
                id: "translate",
                prompt: "Translate to {{inputs.language}}: {{item}}",
                map: "steps.extract.output.items",
              }),
            ],
            output: "translate",
          },
          {
            name: "stubborn",
            version: 1,
            inputs: ["text"],
            steps: [
              // The first answer ignores the format (the mock's ignore_format); the second try
              // has no such directive in its last message and answers JSON.
              step({
                id: "extract",
                prompt: "[mock:ignore_format=1] Facts of {{inputs.text}}",
                schema: FACTS_SCHEMA,
              }),
            ],
          },
          {
            name: "never-valid",
            inputs: [],
            steps: [
              step({ id: "only", prompt: "[mock:ignore_format=1] x", schema: FACTS_SCHEMA, max_attempts: 1 }),
            ],
          },
          {
            name: "slow",
            inputs: ["text"],
            steps: [
              step({ id: "one", prompt: "[mock:latency=500] first {{inputs.text}}" }),
              step({ id: "two", prompt: "[mock:latency=4000] second {{steps.one.output}}" }),
              step({ id: "three", prompt: "[mock:latency=500] third {{steps.two.output}}" }),
            ],
          },
        ];
      },
    });
  });
  after(() => gw?.stop());

  it("runs a three-step chain: a schema step, a branch and a map step, with usage and cost per step", async () => {
    const started = await call("/chains/brief/runs", { inputs: { text: "the tides", language: "French" } });
    assert.equal(started.status, 200, JSON.stringify(started.json));
    assert.equal(started.json.status, "running");
    const run = await finished(started.json.id);
    assert.equal(run.status, "completed", JSON.stringify(run));
    assert.deepEqual(
      run.steps.map((s) => s.id),
      ["extract", "check", "translate"],
    );
    const extract = run.steps[0]!.output as { topic: string; items: string[] };
    assert.equal(typeof extract.topic, "string");
    assert.ok(extract.items.length >= 2);
    const translate = run.steps[2]!;
    assert.equal((translate.output as unknown[]).length, extract.items.length, "one answer per item");
    assert.deepEqual(run.output, translate.output);
    for (const s of run.steps) {
      assert.equal(s.status, "completed");
      assert.ok(s.usage.input_tokens > 0 && s.usage.output_tokens > 0, s.id);
      assert.ok(s.cost_usd > 0, s.id);
    }
    const total = run.steps.reduce((n, s) => n + s.cost_usd, 0);
    assert.ok(Math.abs(run.cost_usd - total) < 1e-12);
    // Each prompt went through the pipeline as a request of the chain.
    const events = (await readUsageEvents(gw.nc, gw.prefix)).filter((e) => e.chainId === run.id);
    assert.equal(events.length, 2 + extract.items.length);
    assert.ok(events.every((e) => e.door === "chain" && e.status === "ok"));
  });

  it("takes the branch a condition names", async () => {
    const run = await finished(
      (await call("/chains/brief/runs", { inputs: { text: "x", language: "none" } })).json.id,
    );
    assert.equal(run.status, "completed");
    assert.deepEqual(
      run.steps.map((s) => s.id),
      ["extract", "check"],
    );
  });

  it("asks again when an answer does not match the schema, and fails past max_attempts", async () => {
    const run = await finished((await call("/chains/stubborn/runs", { inputs: { text: "owls" } })).json.id);
    assert.equal(run.status, "completed", JSON.stringify(run));
    assert.equal(run.steps[0]!.attempts, 2);
    assert.equal(run.steps[0]!.request_ids.length, 2);
    assert.ok(Array.isArray((run.output as { items: unknown }).items));

    const never = await finished((await call("/chains/never-valid/runs", {})).json.id);
    assert.equal(never.status, "failed");
    assert.equal(never.error?.code, "invalid_output");
    assert.equal(never.steps[0]!.status, "failed");
  });

  it("completes a run whose orchestrator was killed mid-step, each step billed once", async () => {
    const started = await call("/chains/slow/runs", { inputs: { text: "go" } });
    const id = started.json.id;
    // Wait until step two is running (its upstream answers after 4 s), then kill.
    for (;;) {
      const { json } = await call(`/chains/runs/${id}`);
      if (json.steps.some((s) => s.id === "two" && s.status === "running")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const [victim] = gw.procs("orchestrator");
    await gw.cluster.stopProcess(victim!, "SIGKILL");
    const restarted = await gw.cluster.start("orchestrator");
    await gw.cluster.waitReady(restarted, 60_000);
    const run = await finished(id, 90_000);
    assert.equal(run.status, "completed", JSON.stringify(run));
    assert.deepEqual(
      run.steps.map((s) => [s.id, s.attempts]),
      [
        ["one", 1],
        ["two", 1],
        ["three", 1],
      ],
    );
    const events = (await readUsageEvents(gw.nc, gw.prefix)).filter((e) => e.chainId === id);
    assert.deepEqual(events.map((e) => e.requestId).sort(), [`${id}-one-1`, `${id}-three-1`, `${id}-two-1`]);
  });

  it("refuses bad starts with the field named, and walls tenants", async () => {
    assert.equal((await call("/chains/nope/runs", { inputs: {} })).status, 404);
    const missing = await call("/chains/brief/runs", { inputs: { text: "x" } });
    assert.equal(missing.status, 400);
    assert.equal(missing.json.error.param, "inputs.language");
    const extra = await call("/chains/brief/runs", { inputs: { text: "x", language: "y", mood: "z" } });
    assert.equal(extra.json.error.param, "inputs.mood");
    const version = await call("/chains/brief/runs", { inputs: { text: "x", language: "y" }, version: 9 });
    assert.equal(version.status, 404);
    assert.equal(version.json.error.param, "version");

    const mine = await call("/chains/stubborn/runs", { inputs: { text: "walls" } });
    const theirs = await call(`/chains/runs/${mine.json.id}`, undefined, OTHER_TENANT_KEY);
    assert.equal(theirs.status, 404);
    const listed = await call("/chains");
    assert.deepEqual(
      listed.json.data.map((c) => c.name),
      ["brief", "stubborn", "never-valid", "slow"],
    );
  });
});

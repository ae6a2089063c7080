// Prompt chains over gRPC on the real Temporal dev server, NATS and the mock: ListChains shows
// the gateway file's chain; StartChain starts a two-step run (a JSON-schema step, then a map
// over its items) that GetChain polls to completed, with each step's output as a
// google.protobuf.Value, usage, exact cost and request ids, the same run the HTTP door shows;
// another tenant's key and bad requests get the status codes the proto promises, with the
// field at fault in the trailers; reflection describes the rpcs.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { toJson } from "@bufbuild/protobuf";
import { ValueSchema, type Value } from "@bufbuild/protobuf/wkt";
import { credentials, status, type ServiceError } from "@grpc/grpc-js";
import { grpcClientConstructor } from "@switchyard/common";
import { sha256Key } from "@switchyard/devkit";
import { Gateway, type ChainRun, type ListChainsResponse } from "@switchyard/proto";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";
import { refusal, unaryCaller, type Unary } from "./harness/grpc-unary.js";
import { grpcurl } from "./harness/grpcurl.js";

const OTHER_TENANT_KEY = "sy-test-globex-grpc-chains";

const FACTS_SCHEMA = {
  type: "object",
  properties: {
    topic: { type: "string" },
    items: { type: "array", items: { type: "string" }, minItems: 2, maxItems: 3 },
  },
  required: ["topic", "items"],
};

interface ChainClient {
  startChain: Unary<ChainRun>;
  getChain: Unary<ChainRun>;
  listChains: Unary<ListChainsResponse>;
  close(): void;
}

/** A google.protobuf.Value as the JSON it carries. */
const json = (v: Value | undefined): unknown => (v === undefined ? undefined : toJson(ValueSchema, v));

describe("prompt chains over gRPC", () => {
  let gw: GatewayUnderTest;
  let client: ChainClient;
  let done: ChainRun;

  before(async () => {
    const step = (over: Record<string, unknown>) => ({ model: "mock-gpt", max_tokens: 64, ...over });
    gw = await startGateway({
      replicas: { orchestrator: 1 },
      gatewayFile: (file) => {
        (file.tenants as unknown[]).push({ id: "globex" });
        (file.keys as unknown[]).push({
          id: "globex-grpc-chains",
          tenant: "globex",
          hash: sha256Key(OTHER_TENANT_KEY),
        });
        file.chains = [
          {
            name: "outline",
            version: 1,
            description: "facts of a text, each expanded",
            inputs: ["text"],
            steps: [
              step({ id: "one", prompt: "List the facts of: {{inputs.text}}", schema: FACTS_SCHEMA }),
              step({ id: "two", prompt: "Expand on: {{item}}", map: "steps.one.output.items" }),
            ],
          },
        ];
      },
    });
    const Client = grpcClientConstructor(Gateway);
    client = new Client(gw.grpcAddress, credentials.createInsecure()) as unknown as ChainClient;
  });
  after(async () => {
    client?.close();
    await gw?.stop();
  });

  const rpc = unaryCaller(() => client, KEYS.dev);

  it("lists the gateway file's chains", async () => {
    const { chains } = await rpc("listChains", {});
    assert.deepEqual(
      chains.map(({ name, version, description, inputs, stepIds }) => ({
        name,
        version,
        description,
        inputs,
        stepIds,
      })),
      [
        {
          name: "outline",
          version: 1,
          description: "facts of a text, each expanded",
          inputs: ["text"],
          stepIds: ["one", "two"],
        },
      ],
    );
  });

  it("runs a schema step then a map step to completed, with outputs, usage, cost and request ids", async () => {
    const started = await rpc("startChain", { name: "outline", inputs: { text: "the tides" } });
    assert.match(started.id, /^chainrun_[A-Za-z0-9]{24}$/);
    assert.equal(started.status, "running");
    assert.equal(started.chain, "outline");
    assert.equal(started.version, 1);
    assert.deepEqual(started.inputs, { text: "the tides" });
    assert.ok(started.createdAt > 0n);
    assert.equal(started.endedAt, 0n);
    assert.equal(started.output, undefined);

    const until = Date.now() + 60_000;
    let run = started;
    while (run.status === "running") {
      if (Date.now() > until) throw new Error(`run ${run.id} still running after 60 s`);
      await new Promise((r) => setTimeout(r, 200));
      run = await rpc("getChain", { runId: started.id });
    }
    assert.equal(run.status, "completed", JSON.stringify(run.error));
    assert.equal(run.error, undefined);
    assert.ok(run.endedAt >= run.createdAt);
    assert.deepEqual(
      run.steps.map((s) => [s.id, s.status]),
      [
        ["one", "completed"],
        ["two", "completed"],
      ],
    );
    const [one, two] = run.steps as [ChainRun["steps"][number], ChainRun["steps"][number]];

    // Step one's answer is the JSON object its schema asks for, carried as a Struct value.
    assert.equal(one.output?.kind.case, "structValue");
    const facts = json(one.output) as { topic: unknown; items: unknown[] };
    assert.equal(typeof facts.topic, "string");
    assert.ok(facts.items.length >= 2 && facts.items.every((i) => typeof i === "string"));
    assert.equal(one.attempts, 1);
    assert.equal(one.requestIds.length, 1);

    // Step two ran once per item: a list of answers, one request each; it is the run's output.
    assert.equal(two.output?.kind.case, "listValue");
    const answers = json(two.output) as unknown[];
    assert.equal(answers.length, facts.items.length);
    assert.ok(answers.every((a) => typeof a === "string" && a !== ""));
    assert.equal(two.requestIds.length, facts.items.length);
    assert.deepEqual(json(run.output), answers);
    assert.equal(new Set([...one.requestIds, ...two.requestIds]).size, 1 + facts.items.length);

    for (const s of run.steps) {
      const u = s.usage!;
      assert.ok(u.inputTokens > 0n && u.outputTokens > 0n, s.id);
      assert.equal(u.totalTokens, u.inputTokens + u.outputTokens, s.id);
      assert.ok(s.costNanoUsd > 0n, s.id);
    }
    assert.equal(run.usage!.inputTokens, one.usage!.inputTokens + two.usage!.inputTokens);
    assert.equal(run.usage!.outputTokens, one.usage!.outputTokens + two.usage!.outputTokens);
    assert.equal(run.costNanoUsd, one.costNanoUsd + two.costNanoUsd);

    // The HTTP door shows the same run.
    const res = await fetch(`${gw.httpUrl}/chains/runs/${run.id}`, {
      headers: { authorization: `Bearer ${KEYS.dev}` },
    });
    assert.equal(res.status, 200);
    const http = (await res.json()) as { status: string; output: unknown; cost_usd: number };
    assert.equal(http.status, "completed");
    assert.deepEqual(http.output, answers);
    assert.equal(http.cost_usd, Number(run.costNanoUsd) / 1e9);
    done = run;
  });

  it("walls tenants: another tenant's key gets NOT_FOUND for the run", async () => {
    assert.ok(done, "the second test ran a chain");
    await assert.rejects(
      rpc("getChain", { runId: done.id }, OTHER_TENANT_KEY),
      refusal(status.NOT_FOUND, "run_id"),
    );
    assert.equal((await rpc("getChain", { runId: done.id })).status, "completed");
  });

  it("names the field at fault in bad requests", async () => {
    await assert.rejects(
      rpc("startChain", { name: "outline", inputs: {} }),
      (e: ServiceError) => refusal(status.INVALID_ARGUMENT, "inputs.text")(e) && /text/.test(e.details),
    );
    // No inputs at all is the same as none given: the missing one is named.
    await assert.rejects(
      rpc("startChain", { name: "outline" }),
      refusal(status.INVALID_ARGUMENT, "inputs.text"),
    );
    await assert.rejects(
      rpc("startChain", { name: "outline", inputs: { text: "x", mood: "y" } }),
      refusal(status.INVALID_ARGUMENT, "inputs.mood"),
    );
    await assert.rejects(
      rpc("startChain", { name: "nope", inputs: { text: "x" } }),
      refusal(status.NOT_FOUND, "name"),
    );
    await assert.rejects(
      rpc("startChain", { name: "outline", inputs: { text: "x" }, version: 9 }),
      refusal(status.NOT_FOUND, "version"),
    );
    await assert.rejects(
      rpc("startChain", { inputs: { text: "x" } }),
      refusal(status.INVALID_ARGUMENT, "name"),
    );
    await assert.rejects(rpc("getChain", {}), refusal(status.INVALID_ARGUMENT, "run_id"));
    await assert.rejects(rpc("getChain", { runId: "chainrun_nope" }), refusal(status.NOT_FOUND, "run_id"));
    await assert.rejects(rpc("listChains", {}, "nope"), refusal(status.UNAUTHENTICATED));
  });

  it("describes the chain rpcs through reflection (grpcurl)", async () => {
    const described = await grpcurl(["-plaintext", gw.grpcAddress, "describe", "switchyard.v1.Gateway"]);
    for (const method of [
      "rpc StartChain ( .switchyard.v1.StartChainRequest ) returns ( .switchyard.v1.ChainRun )",
      "rpc GetChain ( .switchyard.v1.GetChainRequest ) returns ( .switchyard.v1.ChainRun )",
      "rpc ListChains ( .switchyard.v1.ListChainsRequest ) returns ( .switchyard.v1.ListChainsResponse )",
    ])
      assert.ok(described.includes(method), `${method} in\n${described}`);
    const run = await grpcurl(["-plaintext", gw.grpcAddress, "describe", "switchyard.v1.ChainRun"]);
    assert.match(run, /\.google\.protobuf\.Value output = 5;/);
    assert.match(run, /\.google\.protobuf\.Struct inputs = 12;/);
  });
});

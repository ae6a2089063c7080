// Batches over gRPC on the real Temporal dev server, NATS and the mock: a file uploaded over
// HTTP is submitted with SubmitBatch, polled with GetBatch to the end, found by ListBatches;
// a cancel after the end, another tenant's key and bad requests get the status codes the proto
// promises, with the field at fault in the trailers; reflection describes the rpcs.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { credentials, status, type ServiceError } from "@grpc/grpc-js";
import { grpcClientConstructor } from "@switchyard/common";
import { sha256Key } from "@switchyard/devkit";
import { Gateway, type Batch, type ListBatchesResponse } from "@switchyard/proto";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";
import { refusal, unaryCaller, type Unary } from "./harness/grpc-unary.js";
import { grpcurl } from "./harness/grpcurl.js";

const OTHER_TENANT_KEY = "sy-test-globex-grpc-batches";

interface BatchClient {
  submitBatch: Unary<Batch>;
  getBatch: Unary<Batch>;
  listBatches: Unary<ListBatchesResponse>;
  cancelBatch: Unary<Batch>;
  close(): void;
}

const chatLine = (customId: string, text: string) => ({
  custom_id: customId,
  method: "POST",
  url: "/v1/chat/completions",
  body: { model: "mock-gpt", messages: [{ role: "user", content: text }], max_tokens: 16 },
});

describe("batches over gRPC", () => {
  let gw: GatewayUnderTest;
  let client: BatchClient;
  let fileId: string;
  let done: Batch;

  before(async () => {
    gw = await startGateway({
      replicas: { orchestrator: 1 },
      gatewayFile: (file) => {
        (file.tenants as unknown[]).push({ id: "globex" });
        (file.keys as unknown[]).push({
          id: "globex-batches",
          tenant: "globex",
          hash: sha256Key(OTHER_TENANT_KEY),
        });
      },
    });
    const Client = grpcClientConstructor(Gateway);
    client = new Client(gw.grpcAddress, credentials.createInsecure()) as unknown as BatchClient;

    const lines = [chatLine("g-1", "one"), chatLine("g-2", "two"), chatLine("g-3", "three")];
    const form = new FormData();
    form.append("purpose", "batch");
    const jsonl = lines.map((l) => JSON.stringify(l)).join("\n") + "\n";
    form.append("file", new Blob([jsonl], { type: "application/jsonl" }), "grpc.jsonl");
    const res = await fetch(`${gw.httpUrl}/files`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEYS.dev}` },
      body: form,
    });
    assert.equal(res.status, 200, await res.clone().text());
    fileId = ((await res.json()) as { id: string }).id;
  });
  after(async () => {
    client?.close();
    await gw?.stop();
  });

  const rpc = unaryCaller(() => client, KEYS.dev);

  it("submits an uploaded file, runs it to completed and lists it", async () => {
    const created = await rpc("submitBatch", {
      inputFileId: fileId,
      endpoint: "/v1/chat/completions",
      completionWindow: "24h",
      metadata: { run: "grpc" },
    });
    assert.match(created.id, /^batch_[A-Za-z0-9]{24}$/);
    assert.equal(created.status, "validating");
    assert.equal(created.inputFileId, fileId);
    assert.equal(created.outputFileId, "");
    assert.equal(created.completedAt, 0n);

    const until = Date.now() + 60_000;
    let batch = created;
    while (!["completed", "failed", "expired", "cancelled"].includes(batch.status)) {
      if (Date.now() > until) throw new Error(`batch ${batch.id} still ${batch.status} after 60 s`);
      await new Promise((r) => setTimeout(r, 250));
      batch = await rpc("getBatch", { batchId: created.id });
    }
    assert.equal(batch.status, "completed", JSON.stringify(batch.errors));
    const { total, completed, failed } = batch.requestCounts!;
    assert.deepEqual({ total, completed, failed }, { total: 3, completed: 3, failed: 0 });
    assert.notEqual(batch.outputFileId, "");
    assert.equal(batch.errors.length, 0);
    assert.deepEqual(batch.metadata, { run: "grpc" });
    assert.equal(batch.model, "mock-gpt");
    assert.ok(batch.inProgressAt >= batch.createdAt && batch.createdAt > 0n);
    assert.ok(batch.completedAt >= batch.inProgressAt);
    const usage = batch.usage!;
    assert.ok(usage.inputTokens > 0n && usage.outputTokens > 0n);
    assert.equal(usage.totalTokens, usage.inputTokens + usage.outputTokens);

    // The output file it names is the HTTP door's: three answers, one per line.
    const output = await fetch(`${gw.httpUrl}/files/${batch.outputFileId}/content`, {
      headers: { authorization: `Bearer ${KEYS.dev}` },
    });
    assert.equal(output.status, 200);
    const ids = (await output.text())
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => (JSON.parse(l) as { custom_id: string }).custom_id);
    assert.deepEqual(ids.sort(), ["g-1", "g-2", "g-3"]);

    const page = await rpc("listBatches", { limit: 100 });
    assert.ok(page.batches.some((b) => b.id === batch.id && b.status === "completed"));
    done = batch;
  });

  it("refuses to cancel an ended batch (ALREADY_EXISTS, as HTTP's 409)", async () => {
    assert.ok(done, "the first test ran a batch");
    await assert.rejects(rpc("cancelBatch", { batchId: done.id }), (e: ServiceError) => {
      assert.equal(e.metadata.get("switchyard-error-code")[0], "conflict");
      return refusal(status.ALREADY_EXISTS)(e);
    });
    assert.equal((await rpc("getBatch", { batchId: done.id })).status, "completed");
  });

  it("walls tenants: another tenant's key gets NOT_FOUND and lists nothing of it", async () => {
    assert.ok(done, "the first test ran a batch");
    await assert.rejects(
      rpc("getBatch", { batchId: done.id }, OTHER_TENANT_KEY),
      refusal(status.NOT_FOUND, "batch_id"),
    );
    await assert.rejects(
      rpc("cancelBatch", { batchId: done.id }, OTHER_TENANT_KEY),
      refusal(status.NOT_FOUND),
    );
    const theirs = await rpc("listBatches", {}, OTHER_TENANT_KEY);
    assert.ok(!theirs.batches.some((b) => b.id === done.id));
    await assert.rejects(
      rpc(
        "submitBatch",
        { inputFileId: fileId, endpoint: "/v1/chat/completions", completionWindow: "24h" },
        OTHER_TENANT_KEY,
      ),
      refusal(status.NOT_FOUND, "input_file_id"),
    );
  });

  it("names the field at fault in bad requests", async () => {
    await assert.rejects(
      rpc("submitBatch", { inputFileId: fileId, endpoint: "/v1/images", completionWindow: "24h" }),
      (e: ServiceError) =>
        refusal(status.INVALID_ARGUMENT, "endpoint")(e) && /^endpoint must be/.test(e.details),
    );
    await assert.rejects(
      rpc("submitBatch", { inputFileId: fileId, endpoint: "/v1/chat/completions" }),
      refusal(status.INVALID_ARGUMENT, "completion_window"),
    );
    await assert.rejects(rpc("getBatch", { batchId: "" }), refusal(status.INVALID_ARGUMENT, "batch_id"));
    await assert.rejects(rpc("cancelBatch", {}), refusal(status.INVALID_ARGUMENT, "batch_id"));
    await assert.rejects(rpc("listBatches", { limit: 101 }), refusal(status.INVALID_ARGUMENT, "limit"));
    await assert.rejects(rpc("getBatch", { batchId: "x" }, "nope"), refusal(status.UNAUTHENTICATED));
  });

  it("describes the batch rpcs through reflection (grpcurl)", async () => {
    const described = await grpcurl(["-plaintext", gw.grpcAddress, "describe", "switchyard.v1.Gateway"]);
    for (const method of [
      "rpc SubmitBatch ( .switchyard.v1.SubmitBatchRequest ) returns ( .switchyard.v1.Batch )",
      "rpc GetBatch ( .switchyard.v1.GetBatchRequest ) returns ( .switchyard.v1.Batch )",
      "rpc ListBatches ( .switchyard.v1.ListBatchesRequest ) returns ( .switchyard.v1.ListBatchesResponse )",
      "rpc CancelBatch ( .switchyard.v1.CancelBatchRequest ) returns ( .switchyard.v1.Batch )",
    ])
      assert.ok(described.includes(method), `${method} in\n${described}`);
    const batch = await grpcurl(["-plaintext", gw.grpcAddress, "describe", "switchyard.v1.Batch"]);
    assert.match(batch, /\.switchyard\.v1\.BatchRequestCounts request_counts = 18;/);
  });
});

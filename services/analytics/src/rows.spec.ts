import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import {
  Action,
  GuardResultSchema,
  GuardVerdictSchema,
  UsageEventSchema,
  UsageSchema,
} from "@switchyard/proto";
import { existingRowsQuery, rowKey } from "./existing-rows.js";
import { guardVerdictRow, requestRow } from "./rows.js";
import { uniqueRows } from "./writer.js";

const finding = (rule: string, action: Action, hashes: string[] = []) => ({
  kind: "email",
  rule,
  count: 2,
  action,
  valueHashes: hashes,
});

describe("requestRow", () => {
  it("maps a usage event: latency, token kinds, stage timings, guard actions and rules", () => {
    const e = create(UsageEventSchema, {
      requestId: "r1",
      tenantId: "t",
      receivedUnixMs: 1_764_662_400_250n,
      finishedUnixMs: 1_764_662_401_000n,
      usage: create(UsageSchema, {
        promptTokens: 100,
        completionTokens: 20,
        cachedTokens: 30,
        cacheWriteTokens: 5,
        cacheWrite1hTokens: 7,
        reasoningTokens: 3,
      }),
      costNanoUsd: 12_345n,
      timings: [
        { stage: "ingress", processingUs: 1500 },
        { stage: "guard", processingUs: 250 },
      ],
      guard: create(GuardResultSchema, {
        action: Action.REDACT,
        findings: [finding("pii.email", Action.REDACT), finding("pii.phone", Action.FLAG)],
      }),
      guardOutput: create(GuardResultSchema, {
        action: Action.FLAG,
        findings: [finding("pii.email", Action.FLAG)],
      }),
      httpStatus: 200,
      stream: true,
    });
    const row = requestRow(e, 0, 42);
    assert.equal(row.received_at, 1_764_662_400);
    assert.equal(row.latency_ms, 750);
    assert.equal(row.cached_read_tokens, 30);
    assert.equal(row.cache_write_tokens, 12);
    assert.equal(row.reasoning_tokens, 3);
    assert.equal(row.cost_nano_usd, "12345");
    assert.deepEqual(row.stage_names, ["ingress", "guard"]);
    assert.deepEqual(row.stage_ms, [1.5, 0.25]);
    assert.equal(row.guard_action, "redact");
    assert.equal(row.guard_output_action, "flag");
    assert.deepEqual(row.guard_rules, ["pii.email", "pii.phone"]);
    assert.equal(row.stream, 1);
    assert.equal(row.inserted_at, 42);
  });

  it("marks requests nobody screened with empty guard actions, and takes the message's time when the event has none", () => {
    const row = requestRow(create(UsageEventSchema, { requestId: "r2" }), 1_700_000_000_999, 1);
    assert.equal(row.guard_action, "");
    assert.equal(row.guard_output_action, "");
    assert.equal(row.received_at, 1_700_000_000);
    assert.equal(row.latency_ms, 0);
  });
});

describe("guardVerdictRow", () => {
  it("keeps the finding arrays parallel, each finding's value hashes comma-separated", () => {
    const v = create(GuardVerdictSchema, {
      requestId: "r",
      tenantId: "t",
      direction: "input",
      atUnixMs: 1_764_662_400_000n,
      result: create(GuardResultSchema, {
        action: Action.BLOCK,
        findings: [finding("a", Action.BLOCK, ["h1", "h2"]), finding("b", Action.FLAG)],
      }),
    });
    const row = guardVerdictRow(v, 0, 1);
    assert.equal(row.action, "block");
    assert.deepEqual(row.finding_rules, ["a", "b"]);
    assert.deepEqual(row.finding_actions, ["block", "flag"]);
    assert.deepEqual(row.value_hashes, ["h1,h2", ""]);
  });
});

describe("existing rows", () => {
  it("looks up each tenant's hours only as wide as the batch's events, ids hex-encoded", () => {
    const sql = existingRowsQuery(
      "db.requests",
      [
        { tenant_id: "t'1", received_at: 7200 + 10, request_id: "a" },
        { tenant_id: "t'1", received_at: 7200 + 50, request_id: "b,c" },
        { tenant_id: "t'1", received_at: 10, request_id: "d" },
      ],
      false,
    );
    assert.match(
      sql,
      /tenant_id = 't\\'1' AND received_at >= toDateTime\(7210\) AND received_at <= toDateTime\(7250\)/,
    );
    assert.match(sql, /received_at >= toDateTime\(10\) AND received_at <= toDateTime\(10\)/);
    assert.match(sql, /splitByChar\(',', '61,622c63,64'\)/);
  });

  it("drops rows repeated inside a batch", () => {
    const r = { tenant_id: "t", received_at: 1, request_id: "x" };
    const out = uniqueRows([r, { ...r }, { ...r, request_id: "y" }, { ...r, received_at: 2 }]);
    assert.equal(out.repeated, 1);
    assert.deepEqual(out.rows.map(rowKey), [
      rowKey(r),
      rowKey({ ...r, request_id: "y" }),
      rowKey({ ...r, received_at: 2 }),
    ]);
  });
});

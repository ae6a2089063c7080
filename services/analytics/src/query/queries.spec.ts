import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rangeOf } from "./params.js";
import {
  errorsQuery,
  guardQuery,
  latencyQuery,
  latencyRow,
  topKeysQuery,
  usageQuery,
  usageRow,
  type Question,
} from "./queries.js";

const range = rangeOf({ from: "2025-01-01T00:00:00Z", to: "2025-01-02T00:00:00Z", granularity: "hour" });
const question = (over: Partial<Question> = {}): Question => ({
  database: "sy",
  range,
  filters: { tenant: "acme" },
  groupBy: [],
  ...over,
});

describe("query SQL", () => {
  it("reads usage from the rollup, in UTC hour buckets, inside the tenant", () => {
    const { sql, groups } = usageQuery(question({ groupBy: ["team", "model"] }));
    assert.match(
      sql,
      /FROM sy\.requests_by_minute WHERE minute >= toDateTime\(1735689600\) AND minute < toDateTime\(1735776000\) AND tenant_id = 'acme'/,
    );
    assert.match(sql, /intDiv\(toUInt32\(minute\), 3600\) \* 3600 AS bucket/);
    assert.match(sql, /GROUP BY bucket, team_id, model ORDER BY bucket, team_id, model LIMIT 10001$/);
    assert.deepEqual(
      groups.map((g) => [g.name, g.column]),
      [
        ["team", "team_id"],
        ["model", "model"],
      ],
    );
  });

  it("leaves the tenant out only when no wall applies, and writes a hostile filter as one literal", () => {
    const evil = "x'); DROP TABLE sy.requests; --";
    const { sql } = latencyQuery(question({ filters: { tenant: undefined, model: evil } }));
    assert.doesNotMatch(sql, /tenant_id =/);
    assert.ok(sql.includes(`model = 'x\\'); DROP TABLE sy.requests; --'`), sql);
  });

  it("counts errors and guard findings once per request", () => {
    const e = errorsQuery(question({ groupBy: ["model"] })).sql;
    assert.match(e, /FROM sy\.requests WHERE received_at >= .* GROUP BY request_id\)/);
    assert.match(e, /argMax\(model, inserted_at\) AS d_model/);
    assert.match(e, /GROUP BY bucket, d_model, d_http_status, d_status/);
    const g = guardQuery(question({ groupBy: ["direction"], range: { ...range, bucket: undefined } })).sql;
    assert.match(g, /GROUP BY tenant_id, request_id, direction\) ARRAY JOIN d_rules AS f_rule/);
    assert.match(g, /GROUP BY direction, f_rule, f_action ORDER BY direction, n_findings DESC/);
    assert.doesNotMatch(g, /bucket/);
  });

  it("ranks keys by the allowlisted measure with a checked limit", () => {
    const { sql } = topKeysQuery(question(), "requests", 5);
    assert.match(
      sql,
      /key_id != '' GROUP BY tenant_id, key_id ORDER BY n_requests DESC, tenant_id, key_id LIMIT 5$/,
    );
    assert.throws(() => topKeysQuery(question(), "latency" as "cost", 5), /by must be one of cost, requests/);
    assert.throws(() => topKeysQuery(question(), "cost", -1), /limit/);
  });

  it("shapes rows: money in nano-USD and USD, empty digests as null", () => {
    const u = usageRow(
      {
        bucket: "1735689600",
        team_id: "t",
        n_requests: "3",
        n_errors: "1",
        n_prompt_tokens: "10",
        n_completion_tokens: "5",
        n_cost_nano_usd: "1500000000",
      },
      range,
      [{ name: "team", column: "team_id" as never }],
    );
    assert.deepEqual(u, {
      start: "2025-01-01T00:00:00.000Z",
      team: "t",
      requests: 3,
      errors: 1,
      prompt_tokens: 10,
      completion_tokens: 5,
      total_tokens: 15,
      cost_nano_usd: 1_500_000_000,
      cost_usd: 1.5,
    });
    const l = latencyRow(
      { bucket: 1735689600, n_requests: "2", q_latency: [150, 200, 200], q_ttft: [0, 0, 0] },
      range,
      [],
    );
    assert.deepEqual(l.latency_ms, { p50: 150, p95: 200, p99: 200 });
    assert.equal(l.ttft_ms, null, "18.16's empty digest");
    assert.equal(
      latencyRow({ bucket: 0, q_latency: [null, null, null], q_ttft: [null, null, null] }, range, [])
        .latency_ms,
      null,
    );
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BatchObject } from "./batch-object.js";
import { listLines, progressLine, statusChangeLine, statusReport } from "./render.js";

// 2024-05-01T00:00:00Z and later
const T0 = 1_714_521_600;

function batch(over: Partial<BatchObject> = {}): BatchObject {
  return {
    id: "batch_abc",
    status: "in_progress",
    endpoint: "/v1/chat/completions",
    input_file_id: "file-in",
    output_file_id: null,
    error_file_id: null,
    created_at: T0,
    in_progress_at: T0 + 5,
    expires_at: T0 + 86_400,
    request_counts: { total: 1000, completed: 509, failed: 3 },
    usage: {
      input_tokens: 123_456,
      input_tokens_details: { cached_tokens: 1_000 },
      output_tokens: 7_890,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 131_346,
    },
    errors: null,
    metadata: null,
    ...over,
  };
}

describe("progressLine", () => {
  it("draws the bar from the requests answered, failed ones included", () => {
    assert.equal(progressLine(batch(), 10), "[#####.....] 512/1000 done, 3 failed, in_progress");
  });

  it("is full only when every request is answered", () => {
    const nearly = batch({ request_counts: { total: 1000, completed: 999, failed: 0 } });
    assert.equal(progressLine(nearly, 10), "[#########.] 999/1000 done, 0 failed, in_progress");
    const all = batch({ status: "finalizing", request_counts: { total: 1000, completed: 990, failed: 10 } });
    assert.equal(progressLine(all, 10), "[##########] 1000/1000 done, 10 failed, finalizing");
  });

  it("shows an unknown total while the batch is validated", () => {
    const fresh = batch({ status: "validating", request_counts: { total: 0, completed: 0, failed: 0 } });
    assert.equal(progressLine(fresh, 4), "[....] 0/? done, 0 failed, validating");
  });

  it("keeps its width whatever the counts say", () => {
    const odd = batch({ request_counts: { total: 10, completed: 12, failed: 0 } });
    assert.equal(progressLine(odd, 10).indexOf("]"), 11);
  });
});

describe("statusChangeLine", () => {
  it("says the id, the status and the counts on one line", () => {
    assert.equal(statusChangeLine(batch()), "batch_abc: in_progress (512/1000 done, 3 failed)");
  });
});

describe("listLines", () => {
  it("puts each batch on a line, in columns", () => {
    const other = batch({
      id: "batch_z",
      status: "completed",
      endpoint: "/v1/embeddings",
      created_at: T0 + 3600,
      request_counts: { total: 2, completed: 2, failed: 0 },
    });
    assert.deepEqual(listLines([batch(), other]), [
      "batch_abc  in_progress  2024-05-01T00:00:00Z  /v1/chat/completions  512/1000 done, 3 failed",
      "batch_z    completed    2024-05-01T01:00:00Z  /v1/embeddings        2/2 done, 0 failed",
    ]);
    assert.deepEqual(listLines([]), []);
  });
});

describe("statusReport", () => {
  it("lays out a running batch: since when, counts, tokens, files, expiry", () => {
    assert.equal(
      statusReport(batch({ metadata: { team: "search" } })),
      [
        "batch_abc",
        "  status       in_progress since 2024-05-01T00:00:05Z",
        "  endpoint     /v1/chat/completions",
        "  created      2024-05-01T00:00:00Z",
        "  expires      2024-05-02T00:00:00Z",
        "  requests     512/1000 done: 509 completed, 3 failed",
        "  tokens       123,456 in (1,000 cached), 7,890 out (0 reasoning), 131,346 total",
        "  input file   file-in",
        "  output file  none",
        "  error file   none",
        "  metadata     team=search",
      ].join("\n"),
    );
  });

  it("lists the batch's errors with the input line each is about", () => {
    const failed = batch({
      status: "failed",
      failed_at: T0 + 9,
      request_counts: { total: 0, completed: 0, failed: 0 },
      usage: null,
      errors: {
        data: [
          { code: "invalid_json_line", message: "line 3 is not JSON", param: null, line: 3 },
          { code: "invalid_request", message: "model is missing", param: "body.model", line: 7 },
          { code: "too_many_requests", message: "over 50,000 requests", param: null, line: null },
        ],
      },
    });
    const report = statusReport(failed);
    assert.match(report, /status +failed since 2024-05-01T00:00:09Z/);
    assert.doesNotMatch(report, /expires|tokens/);
    assert.ok(
      report.endsWith(
        [
          "errors (3):",
          "  line 3: invalid_json_line: line 3 is not JSON",
          "  line 7: invalid_request [body.model]: model is missing",
          "  file: too_many_requests: over 50,000 requests",
        ].join("\n"),
      ),
      report,
    );
  });

  it("names the output and error files of a finished batch", () => {
    const done = batch({
      status: "completed",
      completed_at: T0 + 60,
      output_file_id: "file-out",
      error_file_id: "file-err",
    });
    const report = statusReport(done);
    assert.match(report, /output file +file-out/);
    assert.match(report, /error file +file-err/);
  });
});

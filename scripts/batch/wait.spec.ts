import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BatchObject, BatchStatus } from "./batch-object.js";
import { ApiError, type BatchApi } from "./client.js";
import { waitForBatch } from "./wait.js";

function snapshot(status: BatchStatus, completed: number): BatchObject {
  return {
    id: "batch_w",
    status,
    endpoint: "/v1/chat/completions",
    input_file_id: "file-in",
    output_file_id: null,
    error_file_id: null,
    created_at: 0,
    request_counts: { total: 4, completed, failed: 0 },
    errors: null,
  };
}

/** A gateway that answers GET /batches/{id} from a script, one entry a poll. */
function scripted(answers: (BatchObject | ApiError)[]): BatchApi & { polls: number } {
  const api = {
    polls: 0,
    getBatch: (id: string): Promise<BatchObject> => {
      assert.equal(id, "batch_w");
      const answer = answers[Math.min(api.polls++, answers.length - 1)];
      return answer instanceof ApiError ? Promise.reject(answer) : Promise.resolve(answer!);
    },
  };
  return api as unknown as BatchApi & { polls: number };
}

function capture(isTTY: boolean) {
  const out = { isTTY, text: "", write: (s: string) => (out.text += s) };
  return out;
}

const run = [
  snapshot("validating", 0),
  snapshot("in_progress", 1),
  snapshot("in_progress", 3),
  snapshot("finalizing", 4),
  snapshot("completed", 4),
];

describe("waitForBatch", () => {
  it("in a log, writes a line per change of status and returns the final batch", async () => {
    const out = capture(false);
    const api = scripted(run);
    const final = await waitForBatch(api, "batch_w", 0, out);
    assert.equal(final.status, "completed");
    assert.equal(api.polls, 5);
    assert.deepEqual(out.text.split("\n"), [
      "batch_w: validating (0/4 done, 0 failed)",
      "batch_w: in_progress (1/4 done, 0 failed)",
      "batch_w: finalizing (4/4 done, 0 failed)",
      "batch_w: completed (4/4 done, 0 failed)",
      "",
    ]);
  });

  it("on a terminal, redraws one bar in place and ends the line", async () => {
    const out = capture(true);
    await waitForBatch(scripted(run), "batch_w", 0, out);
    const frames = out.text.split("\r").slice(1);
    assert.equal(frames.length, 5);
    assert.ok(frames.every((f) => f.startsWith("[") && f.includes("\x1b[K")));
    assert.match(frames[2]!, /^\[#{22}\.{8}\] 3\/4 done, 0 failed, in_progress/);
    assert.ok(out.text.endsWith("completed\x1b[K\n"));
    assert.equal(out.text.split("\n").length, 2);
  });

  it("waits out a gateway that fails for a moment, saying so", async () => {
    const out = capture(true);
    const blip = new ApiError("upstream connect error", 503, "unavailable");
    const api = scripted([run[1]!, blip, new ApiError("cannot reach the gateway"), run[4]!]);
    const final = await waitForBatch(api, "batch_w", 0, out);
    assert.equal(final.status, "completed");
    assert.equal(api.polls, 4);
    // each note starts on a fresh line, after the bar it interrupts
    const notes = [
      "in_progress\x1b[K\nupstream connect error (HTTP 503, unavailable); asking again\n",
      "\ncannot reach the gateway; asking again\n\r[",
    ];
    for (const note of notes) assert.ok(out.text.includes(note), JSON.stringify(out.text));
  });

  it("stops at once on an answer that will not change, ending the bar's line first", async () => {
    const out = capture(true);
    const gone = new ApiError("No such batch: batch_w", 404, "not_found");
    await assert.rejects(waitForBatch(scripted([run[1]!, gone]), "batch_w", 0, out), gone);
    assert.ok(out.text.endsWith("\n"));
  });
});

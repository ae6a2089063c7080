import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { ServerResponse } from "node:http";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { createLogger } from "@switchyard/common";
import { ChatChunkSchema, StreamDoneSchema } from "@switchyard/proto";
import type { StreamItem } from "./gateway.js";
import { streamAnswer } from "./sse-stream.js";

/** A response whose socket is full (every write says "wait") and that the client then closes. */
function fullThenClosed(): ServerResponse & { writes: number } {
  const res = Object.assign(new EventEmitter(), {
    writes: 0,
    destroyed: false,
    writableFinished: false,
    cork() {},
    uncork() {},
    writeHead() {},
    flushHeaders() {},
    write(): boolean {
      res.writes++;
      // The client goes away while the stream waits for the socket to drain.
      setImmediate(() => {
        res.destroyed = true;
        res.emit("close");
      });
      return false;
    },
    end() {},
  });
  return res as unknown as ServerResponse & { writes: number };
}

describe("SSE streaming", () => {
  it("ends the call, and so its usage event, when a slow client goes away mid-stream", async () => {
    let returned = false;
    const items = (async function* (): AsyncGenerator<StreamItem> {
      try {
        await Promise.resolve(); // chunks arrive asynchronously, as from the pipeline
        for (let i = 0; i < 5; i++)
          yield { type: "chunk", chunk: create(ChatChunkSchema, { id: "c" }), timings: [], headers: {} };
        yield { type: "done", done: create(StreamDoneSchema), trailers: {} };
      } finally {
        returned = true;
      }
    })();
    const res = fullThenClosed();
    const finished = streamAnswer({
      res,
      items,
      encoder: { chunk: () => "data: x\n\n", done: () => "", error: () => "" },
      requestId: "r",
      log: createLogger("test", "silent"),
      headers: () => ({}),
    });
    const outcome = await Promise.race([
      finished.then(() => "ended"),
      new Promise((resolve) => setTimeout(() => resolve("hung"), 1_000)),
    ]);
    assert.equal(outcome, "ended");
    assert.equal(returned, true, "the stream's call was ended");
    assert.equal(res.writes, 1, "nothing written after the client left");
  });
});

// Streams one chat answer to an HTTP client as server-sent events, whatever the door's dialect
// (OpenAI chat chunks, Anthropic Messages events, Responses events): the door supplies an encoder
// that turns canonical pieces into SSE text, this module owns the socket side — headers from the
// first chunk, one socket write per tick, back-pressure, and an explicit error event (never a
// clean end) when the stream fails after its first byte.
import type { ServerResponse } from "node:http";
import { GatewayError, type Logger } from "@switchyard/common";
import type { ChatChunk, StreamDone } from "@switchyard/proto";
import type { StreamItem } from "./gateway.js";
import type { SseEvent } from "./sse-event.js";

/** Turns the canonical stream into the door's SSE text. */
export interface SseEncoder {
  /** Everything a chunk gives (the first call may open the stream with events of its own). */
  chunk(chunk: ChatChunk): string;
  /** The end of a stream that completed. */
  done(done: StreamDone): string;
  /** The end of a stream that failed after its first byte. */
  error(err: GatewayError): string;
}

/** `data: <json>` (OpenAI chat) or `event: <name>` + `data: <json>` (named events). */
export const sseData = (data: unknown): string => `data: ${JSON.stringify(data)}\n\n`;
export const sseEvents = (events: readonly SseEvent[]): string =>
  events.map((e) => `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`).join("");

/** Resolves when the response can take more (or is gone — then at once: its close has fired). */
function drained(res: ServerResponse): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      res.off("drain", done).off("close", done);
      resolve();
    };
    res.once("drain", done).once("close", done);
  });
}

export interface StreamAnswerOptions {
  res: ServerResponse;
  items: AsyncGenerator<StreamItem>;
  encoder: SseEncoder;
  requestId: string;
  log: Logger;
  /** The answer's headers, from the first chunk's (or only the request id when none came). */
  headers: (first: Extract<StreamItem, { type: "chunk" }> | undefined) => Record<string, string>;
}

export async function streamAnswer(opts: StreamAnswerOptions): Promise<void> {
  const { res, items, encoder, requestId } = opts;
  // Nothing is written until the first item: failures before it become plain HTTP errors
  // (and the provider stage has already fallen back where it could).
  const first: IteratorResult<StreamItem> = await items.next();
  // Events written in the same tick leave in one socket write: corked until the loop's next turn.
  let corked = false;
  const write = (text: string): boolean => {
    if (text === "") return true;
    if (!corked) {
      corked = true;
      res.cork();
      setImmediate(() => {
        corked = false;
        res.uncork();
      });
    }
    return res.write(text);
  };
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
    ...opts.headers(!first.done && first.value.type === "chunk" ? first.value : undefined),
  });
  res.flushHeaders();
  try {
    for (let it = first; !it.done; it = await items.next()) {
      const item = it.value;
      if (item.type === "chunk") {
        // The client went away: end the call (and its usage event) rather than write into nothing.
        if (res.destroyed) throw new GatewayError("cancelled", "the client closed the stream");
        // A slow reader holds the stream back here rather than filling ingress's memory.
        if (!write(encoder.chunk(item.chunk))) await drained(res);
      } else {
        res.end(encoder.done(item.done));
        return;
      }
    }
    throw new GatewayError("upstream_error", "the stream ended without completing");
  } catch (err) {
    const gerr = GatewayError.from(err);
    if (!res.destroyed) {
      write(encoder.error(gerr));
      res.end();
    }
    if (gerr.code !== "cancelled")
      opts.log.warn({ requestId, code: gerr.code }, "stream ended with an error");
  } finally {
    // However the loop ended, the stream's call ends too (and writes its usage event).
    await items.return(undefined);
  }
}

// AWS event stream framing (application/vnd.amazon.eventstream), as Bedrock ConverseStream sends it:
// each message has `:event-type`, `:content-type` and `:message-type` headers and a JSON payload.
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import type { Frame } from "./types.js";

export const EVENT_STREAM_CONTENT_TYPE = "application/vnd.amazon.eventstream";

const codec = new EventStreamCodec(toUtf8, fromUtf8);

export function eventFrame(eventType: string, payload: unknown, content = false): Frame {
  const data = codec.encode({
    headers: {
      ":event-type": { type: "string", value: eventType },
      ":content-type": { type: "string", value: "application/json" },
      ":message-type": { type: "string", value: "event" },
    },
    body: fromUtf8(JSON.stringify(payload)),
  });
  return { data, content };
}

export function exceptionFrame(exceptionType: string, message: string): Frame {
  const data = codec.encode({
    headers: {
      ":exception-type": { type: "string", value: exceptionType },
      ":content-type": { type: "string", value: "application/json" },
      ":message-type": { type: "string", value: "exception" },
    },
    body: fromUtf8(JSON.stringify({ message })),
  });
  return { data, content: false };
}

/** Decode a whole event-stream body (used by tests and tools). */
export function decodeEventStream(bytes: Uint8Array): { headers: Record<string, string>; body: unknown }[] {
  const out: { headers: Record<string, string>; body: unknown }[] = [];
  let offset = 0;
  while (offset + 4 <= bytes.length) {
    const total = new DataView(bytes.buffer, bytes.byteOffset + offset, 4).getUint32(0);
    const msg = codec.decode(bytes.subarray(offset, offset + total));
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(msg.headers)) headers[k] = String(v.value);
    out.push({ headers, body: JSON.parse(toUtf8(msg.body)) as unknown });
    offset += total;
  }
  return out;
}

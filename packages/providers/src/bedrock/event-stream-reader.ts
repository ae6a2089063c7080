// application/vnd.amazon.eventstream framing. Each message starts with its total length (4 bytes,
// big-endian), so frames are cut from the byte stream here; @smithy/core's EventStreamCodec
// then checks both CRCs and parses headers and payload. (The SDK's own framer is an async
// iterator; push() is synchronous, hence this small buffer.)
import { EventStreamCodec, type Message } from "@smithy/core/event-streams";
import { fromUtf8, toUtf8 } from "@smithy/core/serde";
import { GatewayError } from "@switchyard/common";

const MIN_FRAME = 16; // prelude (12) + message CRC (4)

export class EventStreamReader {
  private readonly codec = new EventStreamCodec(toUtf8, fromUtf8);
  private buffer = new Uint8Array(0);

  push(bytes: Uint8Array): Message[] {
    if (this.buffer.length === 0) this.buffer = bytes.slice();
    else {
      const joined = new Uint8Array(this.buffer.length + bytes.length);
      joined.set(this.buffer);
      joined.set(bytes, this.buffer.length);
      this.buffer = joined;
    }
    const messages: Message[] = [];
    while (this.buffer.length >= 4) {
      const total = new DataView(this.buffer.buffer, this.buffer.byteOffset, 4).getUint32(0, false);
      if (total < MIN_FRAME)
        throw new GatewayError(
          "upstream_error",
          `Bedrock sent an event-stream frame of impossible length ${total}`,
        );
      if (this.buffer.length < total) break;
      const frame = this.buffer.subarray(0, total);
      try {
        messages.push(this.codec.decode(frame));
      } catch (err) {
        throw new GatewayError(
          "upstream_error",
          `Bedrock sent a corrupt event-stream frame: ${(err as Error).message}`,
          { cause: err },
        );
      }
      this.buffer = this.buffer.subarray(total);
    }
    return messages;
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get pending(): number {
    return this.buffer.length;
  }
}

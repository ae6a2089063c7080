// Upstream SSE framing: bytes → UTF-8 text (a streaming TextDecoder keeps multi-byte characters
// split across reads intact) → events (eventsource-parser handles lines split across reads,
// CRLF, comments and multi-line data).
import { createParser, type EventSourceMessage, type EventSourceParser } from "eventsource-parser";

export class SseReader {
  private readonly decoder = new TextDecoder("utf-8");
  private readonly parser: EventSourceParser;
  private pending: EventSourceMessage[] = [];

  constructor() {
    this.parser = createParser({ onEvent: (event) => this.pending.push(event) });
  }

  push(bytes: Uint8Array): EventSourceMessage[] {
    this.parser.feed(this.decoder.decode(bytes, { stream: true }));
    const events = this.pending;
    this.pending = [];
    return events;
  }

  /** Flushes a trailing partial character and a final event whose blank line never came. */
  end(): EventSourceMessage[] {
    const tail = this.decoder.decode();
    if (tail !== "") this.parser.feed(tail);
    this.parser.feed("\n\n");
    const events = this.pending;
    this.pending = [];
    return events;
  }
}

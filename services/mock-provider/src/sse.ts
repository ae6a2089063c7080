// Server-sent events framing. Gemini's alt=sse uses CRLF line ends; the others use LF.
import type { Frame } from "./types.js";

export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
};

export function sseFrame(
  data: unknown,
  opts: { event?: string; content?: boolean; eol?: "\n" | "\r\n" } = {},
): Frame {
  const eol = opts.eol ?? "\n";
  const payload = typeof data === "string" ? data : JSON.stringify(data);
  const event = opts.event !== undefined ? `event: ${opts.event}${eol}` : "";
  return { data: `${event}data: ${payload}${eol}${eol}`, content: opts.content ?? false };
}

/** OpenAI-style stream terminator. */
export function sseDone(): Frame {
  return { data: "data: [DONE]\n\n", content: false };
}

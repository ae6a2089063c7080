// What the HTTP server hands each door (OpenAI chat, Anthropic Messages, Responses) once the key
// is authenticated and the body read: everything needed to call the gateway and answer.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "@switchyard/common";
import type { KeyInfo } from "@switchyard/proto";
import type { CallOptions, Gateway, StreamItem } from "./gateway.js";
import { timingHeader } from "./timing.js";

export interface DoorCall {
  gateway: Gateway;
  key: KeyInfo;
  call: CallOptions;
  requestId: string;
  req: IncomingMessage;
  res: ServerResponse;
  /** The parsed JSON body (not yet validated). */
  body: unknown;
  log: Logger;
}

/** What every answer says about itself: its id, where the time went, and who served it. */
export function answerHeaders(
  requestId: string,
  timings: Parameters<typeof timingHeader>[0],
  served: { provider: string; deployment: string },
  rateLimits: Record<string, string>,
): Record<string, string> {
  return {
    ...rateLimits,
    "x-request-id": requestId,
    "x-switchyard-timing": timingHeader(timings),
    "x-switchyard-provider": served.provider,
    "x-switchyard-deployment": served.deployment,
  };
}

/** A stream's answer headers: the first chunk's, or only the request id when none came. */
export function streamHeaders(
  requestId: string,
): (first: Extract<StreamItem, { type: "chunk" }> | undefined) => Record<string, string> {
  return (first) =>
    first === undefined
      ? { "x-request-id": requestId }
      : answerHeaders(requestId, first.timings, first.chunk, first.headers);
}

export const headerOf = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(",") : v;
};

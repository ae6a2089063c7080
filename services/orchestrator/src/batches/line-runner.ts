// Runs one batch line through the pipeline, as the HTTP door would run the same body: guard,
// routing, limits, budget, usage event. Its request id is the batch id and the custom id, so a
// line run again (its page retried after a crash) is settled and stored once; refusals that
// mean "not now" are waited out (pipeline-call.ts).
import { createHash } from "node:crypto";
import { NO_USAGE, type BatchEndpoint } from "@switchyard/common";
import type { KeyInfo } from "@switchyard/proto";
import {
  chatResponseJson,
  embedResponseJson,
  parseChatBody,
  parseEmbedBody,
  type Gateway,
} from "@switchyard/ingress/pipeline-door";
import { callWaiting, usageOf } from "../pipeline-call.js";
import type { BatchLine } from "./input-lines.js";
import type { LineResult } from "./output-lines.js";

/**
 * The line's request id: batch id and custom id, or a digest of the custom id when it holds
 * characters a request id may not (or is too long).
 */
export function lineRequestId(batchId: string, customId: string): string {
  const id = /^[A-Za-z0-9_-]{1,80}$/.test(customId)
    ? customId
    : createHash("sha256").update(customId).digest("base64url").slice(0, 32);
  return `${batchId}-${id}`;
}

export interface LineRun {
  gateway: Gateway;
  key: KeyInfo;
  batchId: string;
  endpoint: BatchEndpoint;
  signal: AbortSignal;
  /** Refusals this line already waited through (kept across a page's retries). */
  waits: number;
  onWait: (waits: number) => void;
}

/**
 * The line's result; rejects only when `signal` aborts (the page was cancelled): a line cut off
 * that way has no result and counts as not run.
 */
export async function runLine(line: BatchLine, run: LineRun): Promise<LineResult> {
  const opts = { door: "batch" as const, batchId: run.batchId, signal: run.signal };
  const ended = await callWaiting({
    requestId: lineRequestId(run.batchId, line.customId),
    signal: run.signal,
    waits: run.waits,
    onWait: run.onWait,
    async send(requestId) {
      if (run.endpoint === "/v1/embeddings") {
        const req = parseEmbedBody(line.body);
        const answer = await run.gateway.embed(run.key, req, { ...opts, requestId });
        return {
          body: embedResponseJson(answer.value, req.model, req.encodingFormat),
          usage: answer.value.usage,
        };
      }
      const { request } = parseChatBody(line.body);
      const answer = await run.gateway.chat(run.key, request, { ...opts, requestId });
      return { body: chatResponseJson(answer.value, request.model), usage: answer.value.usage };
    },
  });
  const at = { line: line.line, customId: line.customId, requestId: ended.requestId };
  if ("error" in ended)
    return { ...at, statusCode: ended.error.httpStatus, body: ended.error.toOpenAI(), usage: NO_USAGE };
  return { ...at, statusCode: 200, body: ended.answer.body, usage: usageOf(ended.answer.usage) };
}

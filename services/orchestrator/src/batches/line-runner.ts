// Runs one batch line through the pipeline, as the HTTP door would run the same body: guard,
// routing, limits, budget, usage event. Its request id is the batch id and the custom id, so a
// line run again (its page retried after a crash) is settled and stored once. Batch work waits
// rather than fails: a line refused for a rate limit or shed by a full stage waits (Retry-After,
// else a growing pause) and tries again under a new request id, because the refusal was itself
// an event under the first one (docs/batches.md, "Billing once").
import { createHash } from "node:crypto";
import { GatewayError, type BatchEndpoint, type BatchUsage, NO_USAGE } from "@switchyard/common";
import type { KeyInfo, Usage } from "@switchyard/proto";
import {
  chatResponseJson,
  embedResponseJson,
  parseChatBody,
  parseEmbedBody,
  type Gateway,
} from "@switchyard/ingress/pipeline-door";
import type { BatchLine } from "./input-lines.js";
import type { LineResult } from "./output-lines.js";

/** Refusals a line waits through before its error is its result. */
const MAX_WAITS = 60;
const FIRST_PAUSE_MS = 250;
const LONGEST_PAUSE_MS = 10_000;

/** The line's request id: batch id and custom id, or a digest of the custom id when it holds
 * characters a request id may not (or is too long). */
export function lineRequestId(batchId: string, customId: string, waits = 0): string {
  const id = /^[A-Za-z0-9_-]{1,80}$/.test(customId)
    ? customId
    : createHash("sha256").update(customId).digest("base64url").slice(0, 32);
  return waits === 0 ? `${batchId}-${id}` : `${batchId}-${id}-w${waits}`;
}

/** Refusals that mean "not now" rather than "no": the line waits and tries again. */
function waitable(err: GatewayError): boolean {
  return err.code === "rate_limited" || (err.code === "unavailable" && err.stage !== "provider");
}

function usageOf(u: Usage | undefined): BatchUsage {
  if (u === undefined) return NO_USAGE;
  return {
    inputTokens: u.promptTokens,
    cachedTokens: u.cachedTokens,
    outputTokens: u.completionTokens,
    reasoningTokens: u.reasoningTokens,
  };
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(done, ms);
    function done(): void {
      signal.removeEventListener("abort", abort);
      resolve();
    }
    function abort(): void {
      clearTimeout(timer);
      reject(signal.reason as Error);
    }
    signal.addEventListener("abort", abort, { once: true });
  });
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
  let waits = run.waits;
  for (;;) {
    const requestId = lineRequestId(run.batchId, line.customId, waits);
    const opts = { door: "batch" as const, batchId: run.batchId, requestId, signal: run.signal };
    const answered = (body: unknown, usage: Usage | undefined): LineResult => ({
      line: line.line,
      customId: line.customId,
      requestId,
      statusCode: 200,
      body,
      usage: usageOf(usage),
    });
    try {
      if (run.endpoint === "/v1/embeddings") {
        const req = parseEmbedBody(line.body);
        const answer = await run.gateway.embed(run.key, req, opts);
        return answered(embedResponseJson(answer.value, req.model, req.encodingFormat), answer.value.usage);
      }
      const { request } = parseChatBody(line.body);
      const answer = await run.gateway.chat(run.key, request, opts);
      return answered(chatResponseJson(answer.value, request.model), answer.value.usage);
    } catch (err) {
      if (run.signal.aborted) throw run.signal.reason as Error;
      const e = GatewayError.from(err);
      if (waitable(e) && waits < MAX_WAITS) {
        waits++;
        run.onWait(waits);
        const backoff = Math.min(LONGEST_PAUSE_MS, FIRST_PAUSE_MS * 2 ** Math.min(waits, 6));
        await pause(e.retryAfterMs > 0 ? e.retryAfterMs : backoff, run.signal);
        continue;
      }
      return {
        line: line.line,
        customId: line.customId,
        requestId,
        statusCode: e.httpStatus,
        body: e.toOpenAI(),
        usage: NO_USAGE,
      };
    }
  }
}

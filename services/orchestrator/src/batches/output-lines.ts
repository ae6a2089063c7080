// What a batch's lines become: each run line's result as stored while the batch runs, and the
// lines of the output and error files in OpenAI's shapes (`id`, `custom_id`,
// `response{status_code, request_id, body}`, `error`). Output order is not input order: join
// on custom_id.
import { createHash } from "node:crypto";
import type { BatchUsage } from "@switchyard/common";

/** One line's result, as kept between its run and the batch's end. */
export interface LineResult {
  line: number;
  customId: string;
  requestId: string;
  /** The HTTP status the line's request would have had. */
  statusCode: number;
  /** The answer's body (2xx) or OpenAI's error JSON. */
  body: unknown;
  usage: BatchUsage;
}

/** OpenAI's output/error line id: stable for the line, so a rerun writes the same line. */
export function batchRequestId(batchId: string, line: number): string {
  return `batch_req_${createHash("sha256").update(`${batchId}:${line}`).digest("hex").slice(0, 24)}`;
}

export const succeeded = (r: LineResult): boolean => r.statusCode >= 200 && r.statusCode < 300;

export function resultLine(batchId: string, r: LineResult): string {
  return JSON.stringify({
    id: batchRequestId(batchId, r.line),
    custom_id: r.customId,
    response: { status_code: r.statusCode, request_id: r.requestId, body: r.body },
    error: null,
  });
}

/** A line that never ran: the batch expired (batch_expired) or was cancelled first. */
export function notRunLine(batchId: string, line: number, customId: string, code: string): string {
  const message =
    code === "batch_expired"
      ? "This request could not be executed before the completion window expired."
      : "This request was not executed because the batch was cancelled.";
  return JSON.stringify({
    id: batchRequestId(batchId, line),
    custom_id: customId,
    response: null,
    error: { code, message },
  });
}

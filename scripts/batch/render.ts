// How the batch CLI shows a batch to a person: the status report, the progress bar, the line
// per change of status and the line per batch of `list`. Pure: a batch object in, text out.
import { isFinal, type BatchObject } from "./batch-object.js";

const tokens = (n: number): string => n.toLocaleString("en-US");

/** When a batch entered its current status (OpenAI sends one timestamp per status). */
function statusTime(b: BatchObject): number | null | undefined {
  switch (b.status) {
    case "validating":
      return b.created_at;
    case "in_progress":
      return b.in_progress_at;
    case "finalizing":
      return b.finalizing_at;
    case "completed":
      return b.completed_at;
    case "failed":
      return b.failed_at;
    case "expired":
      return b.expired_at;
    case "cancelling":
      return b.cancelling_at;
    case "cancelled":
      return b.cancelled_at;
  }
}

const time = (unixSeconds: number): string =>
  new Date(unixSeconds * 1000).toISOString().replace(".000Z", "Z");

/** `512/1000 done, 3 failed`: done counts every request answered, failed or not. */
export function countsText(b: BatchObject): string {
  const { total, completed, failed } = b.request_counts;
  return `${completed + failed}/${total > 0 ? total : "?"} done, ${failed} failed`;
}

/** `[#####.....] 512/1000 done, 3 failed, in_progress`: the bar fills only when all are done. */
export function progressLine(b: BatchObject, width = 30): string {
  const { total, completed, failed } = b.request_counts;
  const filled = total > 0 ? Math.min(width, Math.floor(((completed + failed) / total) * width)) : 0;
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${countsText(b)}, ${b.status}`;
}

/** One line for a log: the batch, its new status and where it stands. */
export function statusChangeLine(b: BatchObject): string {
  return `${b.id}: ${b.status} (${countsText(b)})`;
}

/** `list`: a line per batch, in columns: id, status, created, endpoint, counts. */
export function listLines(batches: readonly BatchObject[]): string[] {
  const idWidth = Math.max(0, ...batches.map((b) => b.id.length));
  const endpointWidth = Math.max(0, ...batches.map((b) => b.endpoint.length));
  return batches.map((b) =>
    [
      b.id.padEnd(idWidth),
      b.status.padEnd("in_progress".length),
      time(b.created_at),
      b.endpoint.padEnd(endpointWidth),
      countsText(b),
    ].join("  "),
  );
}

/** The `status` report: everything a person asks about a batch, errors with their input lines. */
export function statusReport(b: BatchObject): string {
  const rows: [string, string][] = [];
  const at = statusTime(b);
  rows.push(["status", at === null || at === undefined ? b.status : `${b.status} since ${time(at)}`]);
  rows.push(["endpoint", b.endpoint]);
  rows.push(["created", time(b.created_at)]);
  if (typeof b.expires_at === "number" && !isFinal(b.status)) {
    rows.push(["expires", time(b.expires_at)]);
  }
  const { total, completed, failed } = b.request_counts;
  rows.push([
    "requests",
    `${completed + failed}/${total > 0 ? total : "?"} done: ${completed} completed, ${failed} failed`,
  ]);
  if (b.usage) {
    const u = b.usage;
    const cached = u.input_tokens_details?.cached_tokens ?? 0;
    const reasoning = u.output_tokens_details?.reasoning_tokens ?? 0;
    rows.push([
      "tokens",
      `${tokens(u.input_tokens)} in (${tokens(cached)} cached), ` +
        `${tokens(u.output_tokens)} out (${tokens(reasoning)} reasoning), ${tokens(u.total_tokens)} total`,
    ]);
  }
  rows.push(["input file", b.input_file_id]);
  rows.push(["output file", b.output_file_id ?? "none"]);
  rows.push(["error file", b.error_file_id ?? "none"]);
  const metadata = Object.entries(b.metadata ?? {});
  if (metadata.length > 0) rows.push(["metadata", metadata.map(([k, v]) => `${k}=${v}`).join(", ")]);
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = [b.id, ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`)];
  const problems = b.errors?.data ?? [];
  if (problems.length > 0) {
    lines.push(`errors (${problems.length}):`);
    for (const p of problems) {
      const where = typeof p.line === "number" ? `line ${p.line}` : "file";
      const param = p.param ? ` [${p.param}]` : "";
      lines.push(`  ${where}: ${p.code}${param}: ${p.message}`);
    }
  }
  return lines.join("\n");
}

// What the PII and secret detectors report: a scan span with a confidence score.
import type { Span } from "../scan.js";

/** The kinds of finding the PII and secret detectors report. */
export type PiiKind = "card_number" | "iban" | "us_ssn" | "email" | "phone" | "ip_address" | "secret";

/**
 * A finding with a confidence in 0..1: how sure the detector is, after its validator and the
 * context words around it. Spans that end below {@link REPORT_SCORE} are not reported.
 */
export interface PiiSpan extends Span {
  kind: PiiKind;
  score: number;
}

/** The lowest score a span is reported with; context that lowers a candidate below it drops it. */
export const REPORT_SCORE = 0.5;

/** Appends the span to `out` if its score reaches {@link REPORT_SCORE}. */
export function report(
  out: PiiSpan[],
  kind: PiiKind,
  rule: string,
  start: number,
  end: number,
  score: number,
): void {
  if (score >= REPORT_SCORE) out.push({ kind, rule, start, end, score: Math.min(1, score) });
}

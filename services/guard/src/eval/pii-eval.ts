// Scores the PII detectors on a labelled set (eval/pii.jsonl): per kind and overall precision,
// recall and F1, and how many hard negatives (lines with no PII) got any finding at all.
import { startBudget } from "../budget.js";
import { PII_DETECTORS, type PiiKind } from "../pii/index.js";
import { scan, type Span } from "../scan.js";

export interface LabelledSpan {
  kind: string;
  start: number;
  end: number;
}

/** One line of the set: a text and the PII in it (none for a hard negative). */
export interface PiiLine {
  text: string;
  entities: LabelledSpan[];
  note?: string;
}

export interface Scores {
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface PiiEvaluation {
  perKind: Partial<Record<PiiKind, Scores>>;
  overall: Scores;
  /** Share of hard-negative lines with at least one finding. */
  hardNegativeFalsePositiveRate: number;
  /** The lines scored wrong, for reading. */
  misses: { text: string; missed: LabelledSpan[]; spurious: LabelledSpan[]; note?: string }[];
}

/** A found span matches a labelled one of its kind that it overlaps by half the label or more. */
function matches(found: LabelledSpan, label: LabelledSpan): boolean {
  const overlap = Math.min(found.end, label.end) - Math.max(found.start, label.start);
  return found.kind === label.kind && overlap >= 0.5 * (label.end - label.start);
}

function scores(tp: number, fp: number, fn: number): Scores {
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { tp, fp, fn, precision, recall, f1 };
}

const detectAll = (text: string): Span[] => scan(text, PII_DETECTORS, startBudget(1e9));

/** Scores `detect` (by default every PII detector, unbounded in time) on the lines. */
export function evaluatePii(lines: readonly PiiLine[], detect = detectAll): PiiEvaluation {
  const counts = new Map<string, { tp: number; fp: number; fn: number }>();
  const count = (kind: string) => {
    let c = counts.get(kind);
    if (!c) counts.set(kind, (c = { tp: 0, fp: 0, fn: 0 }));
    return c;
  };
  let negatives = 0;
  let flagged = 0;
  const misses: PiiEvaluation["misses"] = [];
  for (const line of lines) {
    const found = detect(line.text);
    const unmatched = [...line.entities];
    const spurious: LabelledSpan[] = [];
    for (const span of found) {
      const at = unmatched.findIndex((label) => matches(span, label));
      if (at >= 0) {
        count(span.kind).tp++;
        unmatched.splice(at, 1);
      } else {
        count(span.kind).fp++;
        spurious.push({ kind: span.kind, start: span.start, end: span.end });
      }
    }
    for (const label of unmatched) count(label.kind).fn++;
    if (line.entities.length === 0) {
      negatives++;
      if (found.length > 0) flagged++;
    }
    if (unmatched.length > 0 || spurious.length > 0)
      misses.push({ text: line.text, missed: unmatched, spurious, note: line.note });
  }
  const perKind: PiiEvaluation["perKind"] = {};
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const [kind, c] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
    perKind[kind as PiiKind] = scores(c.tp, c.fp, c.fn);
    tp += c.tp;
    fp += c.fp;
    fn += c.fn;
  }
  return {
    perKind,
    overall: scores(tp, fp, fn),
    hardNegativeFalsePositiveRate: negatives === 0 ? 0 : flagged / negatives,
    misses,
  };
}

/** The evaluation as a table, one row per kind and one overall. */
export function formatPiiEvaluation(e: PiiEvaluation): string {
  const row = (name: string, s: Scores) =>
    `${name.padEnd(12)} ${String(s.tp).padStart(4)} ${String(s.fp).padStart(4)} ${String(s.fn).padStart(4)}` +
    `  ${s.precision.toFixed(3)}  ${s.recall.toFixed(3)}  ${s.f1.toFixed(3)}`;
  return [
    `${"kind".padEnd(12)}   tp   fp   fn  prec.  recall  F1`,
    ...Object.entries(e.perKind).map(([kind, s]) => row(kind, s)),
    row("overall", e.overall),
    `hard negatives with a finding: ${(100 * e.hardNegativeFalsePositiveRate).toFixed(2)} %`,
  ].join("\n");
}

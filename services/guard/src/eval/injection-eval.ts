// Scores the fast injection layer on the labelled set (services/guard/eval/injection.jsonl):
// a row counts as detected when its strongest finding reaches its channel's threshold, as the
// guard policy decides it. Recall over attacks, false-positive rate over benign rows, by
// category.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { GuardPolicy } from "../policy.js";
import { channelOf } from "../policy.js";
import { findInjections, injectionScore } from "../injection/detect.js";

export interface InjectionRow {
  text: string;
  role: string;
  label: "attack" | "benign";
  category: string;
  lang: string;
}

export interface Rate {
  n: number;
  hits: number;
  rate: number;
}

export interface InjectionReport {
  recall: Rate;
  falsePositiveRate: Rate;
  hardNegativeFalsePositiveRate: Rate;
  byCategory: Record<string, Rate & { label: string }>;
  missed: InjectionRow[];
  falsePositives: InjectionRow[];
}

export const INJECTION_SET = join(import.meta.dirname, "..", "..", "eval", "injection.jsonl");

export function readInjectionSet(path = INJECTION_SET): InjectionRow[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as InjectionRow);
}

const rate = (rows: InjectionRow[], hit: (r: InjectionRow) => boolean): Rate => {
  const hits = rows.filter(hit).length;
  return { n: rows.length, hits, rate: rows.length === 0 ? 0 : hits / rows.length };
};

export function evaluateInjection(rows: InjectionRow[], policy: GuardPolicy["injection"]): InjectionReport {
  const detected = new Map<InjectionRow, boolean>();
  for (const r of rows) {
    const channel = channelOf(r.role);
    const bar = channel === "untrusted" ? policy.untrusted_threshold : policy.user_threshold;
    detected.set(r, channel !== "trusted" && injectionScore(findInjections(r.text)) >= bar);
  }
  const attacks = rows.filter((r) => r.label === "attack");
  const benign = rows.filter((r) => r.label === "benign");
  const byCategory: InjectionReport["byCategory"] = {};
  for (const category of [...new Set(rows.map((r) => r.category))].sort()) {
    const inCat = rows.filter((r) => r.category === category);
    byCategory[category] = { ...rate(inCat, (r) => detected.get(r)!), label: inCat[0]!.label };
  }
  return {
    recall: rate(attacks, (r) => detected.get(r)!),
    falsePositiveRate: rate(benign, (r) => detected.get(r)!),
    hardNegativeFalsePositiveRate: rate(
      benign.filter((r) => r.category === "hard_negative"),
      (r) => detected.get(r)!,
    ),
    byCategory,
    missed: attacks.filter((r) => !detected.get(r)),
    falsePositives: benign.filter((r) => detected.get(r)),
  };
}

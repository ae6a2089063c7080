// Input screening detectors. Each finds its spans so the policy can flag, redact or block.
//
// Every pattern runs in time linear in its input: every repetition has an upper bound (the
// longest value the detector accepts), so a start position costs a bounded number of steps,
// and a look-behind lets a pattern start only where a run of its characters begins, so a long
// run that fails is not rescanned from each of its positions. detectors.spec.ts checks both
// rules on the sources and times adversarial inputs of a megabyte.
import { INJECTION_DETECTOR } from "./injection/detect.js";
import { PII_DETECTORS, type PiiKind } from "./pii/index.js";
import { scan, type Detector, type Span } from "./scan.js";
import type { ScreeningBudget } from "./budget.js";

export type FindingKind = PiiKind | "prompt_injection";

export type { Span } from "./scan.js";

/**
 * Every detector the guard runs: PII and secrets with validators (pii/, docs/guard-pii.md) and
 * the prompt-injection fast layer (injection/).
 */
export const DETECTORS: readonly Detector[] = [...PII_DETECTORS, INJECTION_DETECTOR];

/** The detectors for text the gateway trusts (system prompts): no injection screening. */
export const TRUSTED_DETECTORS: readonly Detector[] = DETECTORS.filter((d) => d !== INJECTION_DETECTOR);

/** Every span of every detector in `text`, or those found before the budget ran out. */
export function detect(text: string, budget: ScreeningBudget, detectors = DETECTORS): Span[] {
  return scan(text, detectors, budget);
}

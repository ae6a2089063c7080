// Applies the guard policy to the spans found in a request: the strongest action wins
// (block > redact > flag > allow); redaction replaces each span with a typed placeholder.
// A screening that runs out of time ends by the policy's fail mode.
import { create } from "@bufbuild/protobuf";
import type { GatewayConfig } from "@switchyard/common";
import { Action, FindingSchema, type ChatRequest, type Finding } from "@switchyard/proto";
import { startBudget } from "./budget.js";
import { DETECTORS, TRUSTED_DETECTORS, detect, type FindingKind, type Span } from "./detectors.js";
import type { InjectionSpan } from "./injection/detect.js";

export type GuardPolicy = GatewayConfig["guard"];

const ACTIONS = {
  allow: Action.ALLOW,
  flag: Action.FLAG,
  redact: Action.REDACT,
  block: Action.BLOCK,
} as const;

/** The finding recorded when a screening ran out of time. */
export const BUDGET_FINDING = { kind: "guard_budget", rule: "guard.budget_exceeded" } as const;

export interface Screening {
  action: Action;
  findings: Finding[];
  /** True when the request text was rewritten by redaction. */
  changed: boolean;
  /** Set when the budget ran out: how the fail mode ended the screening. */
  budgetExceeded?: "open" | "closed";
  elapsedMs: number;
}

/**
 * Who wrote a message, as far as injection is concerned: the operator (system and developer
 * messages, trusted: not screened for injection), the user (direct injection), or a tool
 * (results and retrieved documents: untrusted, indirect injection, a lower bar).
 */
export type Channel = "trusted" | "user" | "untrusted";

export function channelOf(role: string): Channel {
  if (role === "system" || role === "developer") return "trusted";
  if (role === "tool" || role === "function") return "untrusted";
  return "user";
}

/** The spans that count in a channel: injection findings only from its threshold up. */
function counted(spans: Span[], channel: Channel, policy: GuardPolicy): Span[] {
  const bar =
    channel === "untrusted" ? policy.injection.untrusted_threshold : policy.injection.user_threshold;
  return spans.filter((s) => s.kind !== "prompt_injection" || (s as InjectionSpan).score >= bar);
}

export function screenRequest(req: ChatRequest, policy: GuardPolicy): Screening {
  const budget = startBudget(policy.budget_ms);
  const counts = new Map<string, { kind: string; rule: string; count: number; action: Action }>();
  let action: Action = Action.ALLOW;
  let changed = false;
  for (const message of req.messages) {
    const channel = channelOf(message.role);
    for (const part of message.content) {
      if (part.part.case !== "text") continue;
      if (budget.spent()) break;
      const found = detect(part.part.value, budget, channel === "trusted" ? TRUSTED_DETECTORS : DETECTORS);
      const spans = counted(found, channel, policy);
      for (const span of spans) {
        // Rule ids are unique across kinds: one map lookup per span, no key to build.
        const entry = counts.get(span.rule);
        if (entry !== undefined) {
          entry.count++;
          continue;
        }
        const spanAction = ACTIONS[policy[span.kind as FindingKind]];
        counts.set(span.rule, { kind: span.kind, rule: span.rule, count: 1, action: spanAction });
        action = Math.max(action, spanAction);
      }
      const toRedact = spans.filter((s) => policy[s.kind as FindingKind] === "redact");
      if (toRedact.length > 0) {
        part.part.value = redact(part.part.value, toRedact);
        changed = true;
      }
    }
  }
  let budgetExceeded: Screening["budgetExceeded"];
  if (budget.spent()) {
    budgetExceeded = policy.fail_mode;
    const failAction = policy.fail_mode === "closed" ? Action.BLOCK : Action.FLAG;
    counts.set(BUDGET_FINDING.rule, { ...BUDGET_FINDING, count: 1, action: failAction });
    action = Math.max(action, failAction);
  }
  const findings = [...counts.values()].map((f) => create(FindingSchema, f));
  return { action, findings, changed, budgetExceeded, elapsedMs: budget.elapsedMs() };
}

/** Replaces spans left to right in one pass, skipping any that overlap one already replaced. */
function redact(text: string, spans: Span[]): string {
  const ordered = [...spans].sort((a, b) => a.start - b.start);
  const pieces: string[] = [];
  let at = 0;
  for (const s of ordered) {
    if (s.start < at) continue;
    pieces.push(text.slice(at, s.start), `[${s.kind.toUpperCase()}]`);
    at = s.end;
  }
  pieces.push(text.slice(at));
  return pieces.join("");
}

// Applies the guard policy to the spans found in a request's text: each span gets the action
// its kind has for the message's role (policy-table.ts), and the strongest action of them all is
// the screening's (block > redact > tokenize > mask > flag > allow). Mask, redact and tokenize
// rewrite the span; tokenize records the value for the answer (the envelope's GuardPlan).
// A screening that runs out of time ends by the policy's fail mode.
import type { GatewayConfig, GuardKind, GuardRole } from "@switchyard/common";
import { Action, type ChatRequest, type Finding, type Placeholder } from "@switchyard/proto";
import { startBudget } from "./budget.js";
import { INJECTION_DETECTOR, type InjectionSpan } from "./injection/detect.js";
import type { ModelOutcome } from "./model-screen.js";
import { ACTION_OF, roleOf, tableOf, type PolicyTable } from "./policy-table.js";
import { rewrite } from "./rewrite.js";
import { scan, type Span } from "./scan.js";
import { Tally } from "./tally.js";
import type { ValueHasher } from "./value-hash.js";

export type GuardPolicy = Omit<GatewayConfig["guard"], "tenants">;

/** The finding recorded when a screening ran out of time. */
export const BUDGET_FINDING = { kind: "guard_budget", rule: "guard.budget_exceeded" } as const;

export interface Screening {
  action: Action;
  findings: Finding[];
  /** True when the request text was rewritten (masked, redacted or tokenized). */
  changed: boolean;
  /** The placeholders tokenize put in the text, with the values they stand for. */
  placeholders: Placeholder[];
  /** Text parts for the model layer to judge (only when `ScreenOptions.model` is given). */
  unsure: Unsure[];
  /** What the model layer answered, when it was asked. */
  model?: ModelOutcome;
  /** Set when the budget ran out: how the fail mode ended the screening. */
  budgetExceeded?: "open" | "closed";
  elapsedMs: number;
}

export interface ScreenOptions {
  /** Salted hashes of the matched values for the findings (verdict events); none without it. */
  hash?: ValueHasher;
  /** Collect text for the model layer: from this fast-layer score up, and for these roles. */
  model?: { uncertainFrom: number; roles: ReadonlySet<GuardRole> };
}

/** A text part the fast layer is unsure of (read after its rewrite: no raw PII for the model). */
export interface Unsure {
  part: ChatRequest["messages"][number]["content"][number];
  role: GuardRole;
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

/** The highest injection score among the spans (0 with none). */
function topInjectionScore(spans: readonly Span[]): number {
  let top = 0;
  for (const s of spans) if (s.kind === "prompt_injection") top = Math.max(top, (s as InjectionSpan).score);
  return top;
}

/**
 * Screens the text parts of a request's messages by the policy (a resolved table, or a policy
 * object resolved on first use), rewriting them in place where the policy says.
 */
export function screenRequest(
  req: ChatRequest,
  policy: GuardPolicy | PolicyTable,
  opts: ScreenOptions = {},
): Screening {
  const table = "detectorsFor" in policy ? policy : tableOf(policy);
  const { budget_ms, fail_mode } = table.policy;
  const budget = startBudget(budget_ms);
  const tally = new Tally(opts.hash);
  const tokens = new Map<string, Placeholder>();
  const unsure: Unsure[] = [];
  let changed = false;
  for (const message of req.messages) {
    const role = roleOf(message.role);
    const detectors = table.detectorsFor(role);
    if (detectors.length === 0) continue;
    const bar = table.injectionBar(role);
    for (const part of message.content) {
      if (part.part.case !== "text") continue;
      if (budget.spent()) break;
      const text = part.part.value;
      const found = scan(text, detectors, budget);
      const top = topInjectionScore(found);
      // Injection findings count only from the role's threshold up; below it, the model (if
      // any) is asked about the text's unsure band and about the roles it always hears.
      const spans =
        top === 0
          ? found
          : found.filter((s) => s.kind !== "prompt_injection" || (s as InjectionSpan).score >= bar);
      const ask = opts.model;
      if (ask !== undefined && top < bar && detectors.includes(INJECTION_DETECTOR)) {
        if (ask.roles.has(role) || top >= ask.uncertainFrom) unsure.push({ part, role });
      }
      if (spans.length === 0) continue;
      const actions = spans.map((span) => table.input(span.kind as GuardKind, role));
      spans.forEach((span, i) =>
        tally.add(span.kind, span.rule, ACTION_OF[actions[i]!], text, span.start, span.end),
      );
      const rewritten = rewrite(text, spans, actions, tokens);
      if (rewritten !== text) {
        part.part.value = rewritten;
        changed = true;
      }
    }
  }
  let budgetExceeded: Screening["budgetExceeded"];
  if (budget.spent()) {
    budgetExceeded = fail_mode;
    tally.add(BUDGET_FINDING.kind, BUDGET_FINDING.rule, fail_mode === "closed" ? Action.BLOCK : Action.FLAG);
  }
  return {
    action: tally.action,
    findings: tally.findings(),
    changed,
    placeholders: [...tokens.values()],
    unsure,
    budgetExceeded,
    elapsedMs: budget.elapsedMs(),
  };
}

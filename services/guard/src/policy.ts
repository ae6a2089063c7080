// Applies the guard policy to the spans found in a request's text: each span gets the action
// its kind has for the message's role (policy-table.ts), and the strongest action of them all is
// the screening's (block > redact > tokenize > mask > flag > allow). Mask, redact and tokenize
// rewrite the span; tokenize records the value for the answer (the envelope's GuardPlan).
// A screening that runs out of time ends by the policy's fail mode. A long screening pauses
// every few milliseconds to give the event loop a turn (budget.ts); a small one never does.
import {
  GUARD_ACTION,
  GatewayError,
  type GatewayConfig,
  type GuardActionName,
  type GuardKind,
  type GuardRole,
} from "@switchyard/common";
import { Action, type ChatRequest, type Finding, type Placeholder } from "@switchyard/proto";
import { CHECK_EVERY, startBudget } from "./budget.js";
import { INJECTION_DETECTOR, type InjectionSpan } from "./injection/detect.js";
import type { ModelOutcome } from "./model-screen.js";
import { roleOf, tableOf, type PolicyTable } from "./policy-table.js";
import { Placeholders, rewriting } from "./rewrite.js";
import { scanWindows, startScan, type Span } from "./scan.js";
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
  /** The time the screening ran (what the budget counts: its pauses are not counted). */
  elapsedMs: number;
}

export interface ScreenOptions {
  /** Salted hashes of the matched values for the findings (verdict events); none without it. */
  hash?: ValueHasher;
  /** Collect text for the model layer: from this fast-layer score up, and for these roles. */
  model?: { uncertainFrom: number; roles: ReadonlySet<GuardRole> };
  /** The request's deadline (Unix ms): a screening paused past it ends with deadline_exceeded. */
  deadlineUnixMs?: number;
  /** How long the screening runs between pauses (budget.ts, SLICE_MS); Infinity: no pause. */
  sliceMs?: number;
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

/**
 * Screens the text parts of a request's messages by the policy (a resolved table, or a policy
 * object resolved on first use), rewriting them in place where the policy says.
 *
 * It runs on the caller's turn of the event loop until it has run a slice (`opts.sliceMs`),
 * then pauses for a turn, and so on: at a window's end while scanning, every CHECK_EVERY
 * spans while it applies what it found. A request screened in less than a slice (any ordinary
 * prompt) is screened within the call, and the promise it returns is already settled.
 */
export async function screenRequest(
  req: ChatRequest,
  policy: GuardPolicy | PolicyTable,
  opts: ScreenOptions = {},
): Promise<Screening> {
  const table = "detectorsFor" in policy ? policy : tableOf(policy);
  const { budget_ms, fail_mode } = table.policy;
  const budget = startBudget(budget_ms, { sliceMs: opts.sliceMs });
  const deadline = opts.deadlineUnixMs;
  /** A turn for the event loop; a request whose deadline passed meanwhile is not screened on. */
  const pause = async (): Promise<void> => {
    await budget.pause();
    if (deadline !== undefined && Date.now() >= deadline)
      throw new GatewayError(
        "deadline_exceeded",
        "the request's deadline passed while the guard screened it",
      );
  };
  const tally = new Tally(opts.hash);
  const tokens = new Placeholders();
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
      const at = startScan();
      while (!scanWindows(text, detectors, budget, at, true)) await pause();
      // Injection findings count only from the role's threshold up; below it, the model (if
      // any) is asked about the text's unsure band and about the roles it always hears.
      const found = at.spans;
      const spans: Span[] = [];
      const actions: GuardActionName[] = [];
      let top = 0;
      // A detector's spans come together: the action is looked up when the kind changes.
      let kind = "";
      let action: GuardActionName = "allow";
      for (let i = 0; i < found.length; i++) {
        if (i % CHECK_EVERY === CHECK_EVERY - 1 && budget.due()) await pause();
        const span = found[i]!;
        if (span.kind === "prompt_injection") {
          const score = (span as InjectionSpan).score;
          top = Math.max(top, score);
          if (score < bar) continue;
        }
        if (span.kind !== kind) action = table.input((kind = span.kind) as GuardKind, role);
        spans.push(span);
        actions.push(action);
        tally.add(span.kind, span.rule, GUARD_ACTION[action], text, span.start, span.end);
      }
      const ask = opts.model;
      if (ask !== undefined && top < bar && detectors.includes(INJECTION_DETECTOR)) {
        if (ask.roles.has(role) || top >= ask.uncertainFrom) unsure.push({ part, role });
      }
      if (spans.length === 0) continue;
      const steps = rewriting(text, spans, actions, tokens);
      let step = steps.next();
      for (; step.done !== true; step = steps.next()) if (budget.due()) await pause();
      if (step.value !== text) {
        part.part.value = step.value;
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
    placeholders: tokens.list(),
    unsure,
    budgetExceeded,
    elapsedMs: budget.elapsedMs(),
  };
}

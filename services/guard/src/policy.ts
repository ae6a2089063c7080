// Applies the tenant's guard policy to the spans found in a request: the strongest action
// wins (block > redact > flag > allow); redaction replaces each span with a typed placeholder.
import { create } from "@bufbuild/protobuf";
import type { GatewayConfig } from "@switchyard/common";
import { Action, FindingSchema, type ChatRequest, type Finding } from "@switchyard/proto";
import { detect, type FindingKind, type Span } from "./detectors.js";

const ACTIONS = {
  allow: Action.ALLOW,
  flag: Action.FLAG,
  redact: Action.REDACT,
  block: Action.BLOCK,
} as const;

export interface Screening {
  action: Action;
  findings: Finding[];
  /** True when the request text was rewritten by redaction. */
  changed: boolean;
}

export function screenRequest(req: ChatRequest, policy: GatewayConfig["guard"]): Screening {
  const counts = new Map<string, { kind: FindingKind; rule: string; count: number }>();
  let action: Action = Action.ALLOW;
  let changed = false;
  for (const message of req.messages) {
    for (const part of message.content) {
      if (part.part.case !== "text") continue;
      const spans = detect(part.part.value);
      if (spans.length === 0) continue;
      for (const span of spans) {
        const key = `${span.kind}/${span.rule}`;
        const entry = counts.get(key) ?? { kind: span.kind, rule: span.rule, count: 0 };
        entry.count++;
        counts.set(key, entry);
        action = Math.max(action, ACTIONS[policy[span.kind]]);
      }
      const toRedact = spans.filter((s) => policy[s.kind] === "redact");
      if (toRedact.length > 0) {
        part.part.value = redact(part.part.value, toRedact);
        changed = true;
      }
    }
  }
  const findings = [...counts.values()].map((f) =>
    create(FindingSchema, { kind: f.kind, rule: f.rule, count: f.count, action: ACTIONS[policy[f.kind]] }),
  );
  return { action, findings, changed };
}

function redact(text: string, spans: Span[]): string {
  const ordered = [...spans].sort((a, b) => b.start - a.start);
  let out = text;
  for (const s of ordered) out = `${out.slice(0, s.start)}[${s.kind.toUpperCase()}]${out.slice(s.end)}`;
  return out;
}

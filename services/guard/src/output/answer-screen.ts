// Screening of an answer, unary or streamed: PII and secrets by the policy's output actions,
// the request's canary token, and the placeholders tokenize put in the prompt, which get their
// values back here, before the client sees the text.
//
// Streams are screened per text field (a choice's content, its reasoning, each tool call's
// arguments) with a hold-back: the last `holdback_chars` characters of a field are kept until more text comes,
// so a value split across chunks is whole when it is looked at, and a placeholder is never
// restored in halves. A value no longer than the hold-back is always seen whole before any of
// it is sent; the hold-back is what the client's first token waits for (docs/guard.md).
import { create } from "@bufbuild/protobuf";
import { GUARD_ACTION, type GuardActionName } from "@switchyard/common";
import {
  Action,
  ChunkChoiceSchema,
  ContentPartSchema,
  DeltaSchema,
  GuardResultSchema,
  ToolCallDeltaSchema,
  type ChatChunk,
  type ChatResponse,
  type Delta,
  type GuardPlan,
  type GuardResult,
} from "@switchyard/proto";
import { startBudget } from "../budget.js";
import type { OutputKind, PolicyTable } from "../policy-table.js";
import { Placeholders, rewrite } from "../rewrite.js";
import { scan, type Span } from "../scan.js";
import { Tally } from "../tally.js";
import type { ValueHasher } from "../value-hash.js";
import { createRestorer, type Restorer } from "./restore.js";

export const CANARY_FINDING = { kind: "canary", rule: "guard.canary_leak" } as const;
const OUTPUT_BUDGET = { kind: "guard_budget", rule: "guard.budget_exceeded" } as const;

export interface AnswerScreen {
  /** Screens a whole answer in place; a blocked answer keeps no text and ends content_filter. */
  response(res: ChatResponse): void;
  /**
   * Screens one chunk in place: held-back text leaves it, earlier held text joins it. Returns
   * false when the answer must stop here (the caller ends the stream with `terminal()`).
   * `counted` hears how many characters of text the chunk brought, before screening.
   */
  chunk(chunk: ChatChunk, counted?: (chars: number) => void): boolean;
  /** The text still held when the upstream ended without finishing a choice; undefined if none. */
  flush(template: ChatChunk): ChatChunk | undefined;
  /** The chunk that ends a stopped stream: every choice seen ends content_filter. */
  terminal(template: ChatChunk): ChatChunk;
  /** What the screening found, for the outcome and the verdict event. */
  result(): GuardResult;
}

/** A choice's content, its reasoning, or one tool call's arguments (JSON). */
type FieldKind = "content" | "reasoning" | number;

interface Field {
  held: string;
  choice: number;
  /** The tool call's index for its arguments; "content" or "reasoning" for those texts. */
  kind: FieldKind;
}

/**
 * The screen for one answer, or undefined when there is nothing to do: no output detector in
 * the policy, no placeholder to restore, no canary.
 */
export function createAnswerScreen(
  table: PolicyTable,
  plan: GuardPlan | undefined,
  hash?: ValueHasher,
): AnswerScreen | undefined {
  const detectors = table.outputDetectors;
  const canary = plan?.canary ?? "";
  const restorer: Restorer | undefined =
    plan !== undefined && plan.placeholders.length > 0 ? createRestorer(plan.placeholders) : undefined;
  if (detectors.length === 0 && canary === "" && restorer === undefined) return undefined;

  const { policy } = table;
  const canaryAction = policy.canary === "block" ? Action.BLOCK : Action.FLAG;
  // Enough to see a value whole, and the canary; only a restorer needs none (see restore.ts).
  const holdback = Math.max(detectors.length > 0 ? policy.output.holdback_chars : 0, canary.length);
  const tally = new Tally(hash);
  let stopped = false;
  const fields = new Map<string, Field>();
  const choices = new Set<number>();

  /**
   * Screens `text` (what is held plus what came) and returns what may be sent: everything when
   * `final`, else all but the hold-back, never cutting a value or a placeholder in two.
   * Sets `stopped` when something blocks.
   */
  function screenText(
    text: string,
    final: boolean,
    json: boolean,
  ): { send: string; hold: string; changed: boolean } {
    const budget = startBudget(policy.budget_ms);
    const spans: Span[] = detectors.length > 0 ? scan(text, detectors, budget) : [];
    if (budget.spent()) {
      const a = policy.fail_mode === "closed" ? Action.BLOCK : Action.FLAG;
      tally.add(OUTPUT_BUDGET.kind, OUTPUT_BUDGET.rule, a);
      if (a === Action.BLOCK) stopped = true;
    }
    const canaryAt = canary === "" ? -1 : text.indexOf(canary);
    if (canaryAt >= 0 && canaryAction === Action.BLOCK) {
      tally.add(CANARY_FINDING.kind, CANARY_FINDING.rule, canaryAction);
      stopped = true;
    }
    spans.sort((a, b) => a.start - b.start);
    // Send up to the hold-back, but never part of a value, of the canary or of a placeholder:
    // each may move the cut earlier, into another, so go on until it stays put.
    let cut = final ? text.length : Math.max(0, text.length - holdback);
    for (let moved = true; moved;) {
      const before = cut;
      for (const s of spans) if (s.start < cut && s.end > cut) cut = s.start;
      if (canaryAt >= 0 && canaryAt < cut && canaryAt + canary.length > cut) cut = canaryAt;
      if (restorer !== undefined && !final) cut = restorer.safeCut(text, cut);
      moved = cut !== before;
    }
    if (canaryAt >= 0 && canaryAction !== Action.BLOCK && canaryAt + canary.length <= cut)
      tally.add(CANARY_FINDING.kind, CANARY_FINDING.rule, canaryAction);
    const ready = spans.filter((s) => s.end <= cut);
    const actions: GuardActionName[] = ready.map((s) => table.output(s.kind as OutputKind));
    ready.forEach((s, i) => {
      const a = GUARD_ACTION[actions[i]!];
      tally.add(s.kind, s.rule, a, text, s.start, s.end);
      if (a === Action.BLOCK) stopped = true;
    });
    if (stopped) return { send: "", hold: "", changed: true };
    let send = rewrite(text.slice(0, cut), ready, actions, new Placeholders());
    if (restorer !== undefined) send = restorer.restore(send, json);
    return { send, hold: text.slice(cut), changed: send !== text.slice(0, cut) };
  }

  const fieldKey = (choice: number, kind: FieldKind): string => `${choice}:${kind}`;
  /** Choices whose streamed reasoning the screen changed: their signature no longer matches it. */
  const alteredReasoning = new Set<number>();

  /** Screens the next piece of a streamed field. */
  function streamField(choice: number, kind: FieldKind, piece: string, final: boolean): string {
    const key = fieldKey(choice, kind);
    let field = fields.get(key);
    if (field === undefined) fields.set(key, (field = { held: "", choice, kind }));
    const { send, hold, changed } = screenText(field.held + piece, final, typeof kind === "number");
    if (changed && kind === "reasoning") alteredReasoning.add(choice);
    field.held = hold;
    return send;
  }

  return {
    response(res) {
      for (const choice of res.choices) {
        const m = choice.message;
        if (m === undefined) continue;
        for (const part of m.content)
          if (part.part.case === "text") part.part.value = screenText(part.part.value, true, false).send;
        for (const call of m.toolCalls) call.argumentsJson = screenText(call.argumentsJson, true, true).send;
        if (m.refusal !== "") m.refusal = screenText(m.refusal, true, false).send;
        if (m.reasoningContent !== "") {
          const screened = screenText(m.reasoningContent, true, false).send;
          // Changed reasoning no longer matches its signature: without it, an Anthropic upstream
          // is never sent the altered text back as if it were the model's.
          if (screened !== m.reasoningContent) m.reasoningSignature = "";
          m.reasoningContent = screened;
        }
      }
      if (!stopped) return;
      for (const choice of res.choices) {
        choice.finishReason = "content_filter";
        if (choice.message === undefined) continue;
        choice.message.content = [create(ContentPartSchema, { part: { case: "text", value: "" } })];
        choice.message.toolCalls = [];
        choice.message.refusal = "";
        choice.message.reasoningContent = "";
        choice.message.reasoningSignature = "";
        choice.message.redactedReasoning = [];
      }
    },

    chunk(chunk, counted) {
      for (const choice of chunk.choices) {
        choices.add(choice.index);
        const final = choice.finishReason !== "";
        const d = choice.delta;
        if (d === undefined) continue;
        counted?.((d.content?.length ?? 0) + (d.reasoningContent?.length ?? 0));
        for (const call of d.toolCalls) counted?.(call.argumentsJson.length);
        // Reasoning comes before the answer: what is held of it goes out as soon as anything
        // else comes, so the client never sees it after the text it led to.
        const reasoningEnds =
          final ||
          d.content !== undefined ||
          d.toolCalls.length > 0 ||
          d.reasoningSignature !== undefined ||
          d.redactedReasoning.length > 0;
        if (
          d.reasoningContent !== undefined ||
          (reasoningEnds && (fields.get(fieldKey(choice.index, "reasoning"))?.held ?? "") !== "")
        )
          d.reasoningContent = streamField(
            choice.index,
            "reasoning",
            d.reasoningContent ?? "",
            reasoningEnds,
          );
        if (d.reasoningSignature !== undefined && alteredReasoning.has(choice.index))
          d.reasoningSignature = undefined;
        if (d.content !== undefined || (final && fields.has(fieldKey(choice.index, "content"))))
          d.content = streamField(choice.index, "content", d.content ?? "", final);
        for (const call of d.toolCalls)
          call.argumentsJson = streamField(choice.index, call.index, call.argumentsJson, final);
        if (final) {
          // Tool calls whose arguments are still held, and that this chunk does not carry.
          for (const field of fields.values()) {
            const tool = field.kind;
            if (typeof tool !== "number" || field.choice !== choice.index || field.held === "") continue;
            if (d.toolCalls.some((c) => c.index === tool)) continue;
            d.toolCalls.push(
              create(ToolCallDeltaSchema, {
                index: tool,
                argumentsJson: streamField(choice.index, tool, "", true),
              }),
            );
          }
        }
        if (stopped) return false;
      }
      return !stopped;
    },

    flush(template) {
      const byChoice = new Map<number, Delta>();
      for (const field of fields.values()) {
        if (field.held === "") continue;
        let delta = byChoice.get(field.choice);
        if (delta === undefined) byChoice.set(field.choice, (delta = create(DeltaSchema)));
        const text = streamField(field.choice, field.kind, "", true);
        if (field.kind === "content") delta.content = text;
        else if (field.kind === "reasoning") delta.reasoningContent = text;
        else delta.toolCalls.push(create(ToolCallDeltaSchema, { index: field.kind, argumentsJson: text }));
      }
      if (byChoice.size === 0 || stopped) return undefined;
      return {
        ...template,
        choices: [...byChoice].map(([index, delta]) => create(ChunkChoiceSchema, { index, delta })),
      };
    },

    terminal(template) {
      const indexes = choices.size > 0 ? [...choices] : [0];
      return {
        ...template,
        choices: indexes.map((index) =>
          create(ChunkChoiceSchema, { index, delta: create(DeltaSchema), finishReason: "content_filter" }),
        ),
      };
    },

    result() {
      return create(GuardResultSchema, { action: tally.action, findings: tally.findings() });
    },
  };
}

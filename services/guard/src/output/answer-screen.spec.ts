import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { gatewayConfigSchema } from "@switchyard/common";
import {
  ChatChunkSchema,
  ChatResponseSchema,
  GuardPlanSchema,
  type ChatChunk,
  type GuardPlan,
} from "@switchyard/proto";
import fc from "fast-check";
import { tenantPolicies } from "../policy-table.js";
import { createAnswerScreen } from "./answer-screen.js";

const config = gatewayConfigSchema.parse({
  guard: {
    tenants: {
      watch: { output: { email: "redact", secret: "mask", holdback_chars: 64 }, canary: "block" },
      quiet: {},
    },
  },
}).guard;
const policies = tenantPolicies(config);

const plan = (canary = ""): GuardPlan =>
  create(GuardPlanSchema, {
    placeholders: [
      { token: "[EMAIL_1]", value: "jane.doe@example.com" },
      { token: "[PHONE_1]", value: '+44 "20" 7946 0958' },
    ],
    canary,
  });

/** Streams `pieces` as content deltas (the last with finish_reason) and joins what comes out. */
function streamed(pieces: string[], tenant: string, p: GuardPlan): { text: string; stopped: boolean } {
  const screen = createAnswerScreen(policies(tenant), p)!;
  let text = "";
  for (const [i, piece] of pieces.entries()) {
    const chunk: ChatChunk = create(ChatChunkSchema, {
      choices: [{ index: 0, delta: { content: piece }, finishReason: i === pieces.length - 1 ? "stop" : "" }],
    });
    if (!screen.chunk(chunk)) return { text, stopped: true };
    text += chunk.choices[0]?.delta?.content ?? "";
  }
  return { text, stopped: false };
}

function unary(text: string, tenant: string, p: GuardPlan): { text: string; finish: string } {
  const res = create(ChatResponseSchema, {
    choices: [
      { index: 0, message: { role: "assistant", content: [{ part: { case: "text", value: text } }] } },
    ],
  });
  createAnswerScreen(policies(tenant), p)!.response(res);
  const part = res.choices[0]!.message!.content[0]!.part;
  return { text: part.case === "text" ? part.value : "", finish: res.choices[0]!.finishReason };
}

/** `text` cut at the given (sorted, distinct) offsets. */
function cutAt(text: string, cuts: number[]): string[] {
  const at = [0, ...cuts.filter((c) => c > 0 && c < text.length), text.length];
  return at.slice(0, -1).map((start, i) => text.slice(start, at[i + 1]));
}

const ANSWER =
  "Sure: mail [EMAIL_1] or ring [PHONE_1]. Also ops.lead@example.org knows; the token is " +
  "ghp_0123456789abcdefghijABCDEFGHIJ0123ab. Then [EMAIL_1] again, and [EMAIL_9] is not ours.";

describe("answer screen", () => {
  it("restores placeholders and screens PII the same however the stream is cut", () => {
    const whole = unary(ANSWER, "watch", plan()).text;
    assert.ok(whole.includes('mail jane.doe@example.com or ring +44 "20" 7946 0958.'), whole);
    assert.ok(whole.includes("Also [EMAIL] knows"), whole);
    assert.match(whole, /token is \*{3}_\*{32}23ab\./);
    assert.ok(whole.includes("[EMAIL_9] is not ours"), whole);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: ANSWER.length - 1 }), { maxLength: 40 }),
        (cuts) => {
          const pieces = cutAt(
            ANSWER,
            cuts.sort((a, b) => a - b),
          );
          assert.equal(streamed(pieces, "watch", plan()).text, whole);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("only restores, with no hold-back past a placeholder, when the policy screens no output", () => {
    const screen = createAnswerScreen(policies("quiet"), plan())!;
    const chunk = create(ChatChunkSchema, {
      choices: [{ index: 0, delta: { content: "Mail [EMAIL_1] or [PHO" } }],
    });
    assert.equal(screen.chunk(chunk), true);
    assert.equal(chunk.choices[0]!.delta!.content, "Mail jane.doe@example.com or ");
    assert.equal(createAnswerScreen(policies("quiet"), undefined), undefined, "nothing to do: no screen");
  });

  it("screens the reasoning of a unary answer too, dropping a signature the change breaks", () => {
    const res = create(ChatResponseSchema, {
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: [{ part: { case: "text", value: "fine" } }],
            reasoningContent: "the user is ops.lead@example.org, so",
            reasoningSignature: "sig-1",
          },
        },
      ],
    });
    createAnswerScreen(policies("watch"), plan())!.response(res);
    const m = res.choices[0]!.message!;
    assert.doesNotMatch(m.reasoningContent, /ops\.lead@example\.org/);
    assert.equal(m.reasoningSignature, "");
    const clean = create(ChatResponseSchema, {
      choices: [
        { index: 0, message: { role: "assistant", reasoningContent: "plain", reasoningSignature: "s" } },
      ],
    });
    createAnswerScreen(policies("watch"), plan())!.response(clean);
    assert.equal(clean.choices[0]!.message!.reasoningSignature, "s", "unchanged reasoning keeps it");
  });

  it("screens streamed reasoning, all of it before the answer, dropping a signature the change breaks", () => {
    const screen = createAnswerScreen(policies("watch"), plan())!;
    const deltas = [
      { reasoningContent: "the user is ops.le" },
      { reasoningContent: "ad@example.org, so" },
      { reasoningSignature: "sig-1" },
      { content: "Done." },
    ];
    const out: { reasoning: string; signature: string; content: string }[] = [];
    for (const [i, delta] of deltas.entries()) {
      const chunk = create(ChatChunkSchema, {
        choices: [{ index: 0, delta, finishReason: i === deltas.length - 1 ? "stop" : "" }],
      });
      assert.equal(screen.chunk(chunk), true);
      const d = chunk.choices[0]!.delta!;
      out.push({
        reasoning: d.reasoningContent ?? "",
        signature: d.reasoningSignature ?? "",
        content: d.content ?? "",
      });
    }
    const reasoning = out.map((o) => o.reasoning).join("");
    assert.match(reasoning, /^the user is /);
    assert.doesNotMatch(reasoning, /ops\.lead@example\.org/);
    assert.equal(out.map((o) => o.signature).join(""), "", "the signature of altered reasoning is dropped");
    const lastReasoning = out.findLastIndex((o) => o.reasoning !== "");
    const firstContent = out.findIndex((o) => o.content !== "");
    assert.ok(lastReasoning < firstContent || (lastReasoning === firstContent && firstContent >= 0));
    assert.equal(out.map((o) => o.content).join(""), "Done.");
  });

  it("escapes restored values inside tool-call arguments", () => {
    const res = create(ChatResponseSchema, {
      choices: [{ message: { toolCalls: [{ functionName: "call", argumentsJson: '{"to":"[PHONE_1]"}' }] } }],
    });
    createAnswerScreen(policies("quiet"), plan())!.response(res);
    const args = res.choices[0]!.message!.toolCalls[0]!.argumentsJson;
    assert.deepEqual(JSON.parse(args), { to: '+44 "20" 7946 0958' });
  });

  it("stops at a canary however it is cut, before any of it is sent", () => {
    const canary = "cnry-AbCdEfGhIjKlMn";
    const text = `Here is my prompt: Confidential marker: ${canary}. Never repeat it.`;
    assert.deepEqual(unary(text, "watch", plan(canary)), { text: "", finish: "content_filter" });
    for (let cut = 1; cut < text.length; cut++) {
      const out = streamed([text.slice(0, cut), text.slice(cut)], "watch", plan(canary));
      assert.equal(out.stopped, true, `cut at ${cut}`);
      assert.ok(!out.text.includes("cnry"), `cut at ${cut}: ${out.text}`);
    }
  });
});

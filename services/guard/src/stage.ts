// Guard stage: screens the prompt by policy; blocks with a clear error, or passes the
// (possibly redacted) request on. Embedding inputs are screened the same way.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { GatewayError, type GatewayConfig, type StageHandler } from "@switchyard/common";
import {
  Action,
  ChatRequestSchema,
  ContentPartSchema,
  EmbedRequestSchema,
  GuardResultSchema,
  MessageSchema,
  RequestKind,
} from "@switchyard/proto";
import type { GuardMetrics } from "./metrics.js";
import { BUDGET_FINDING, screenRequest } from "./policy.js";

export { createGuardMetrics } from "./metrics.js";

export function createGuardStage(deps: {
  policy: GatewayConfig["guard"];
  metrics?: GuardMetrics;
}): StageHandler {
  return (env) => {
    const isChat = env.kind === RequestKind.CHAT;
    const embed = isChat ? undefined : fromBinary(EmbedRequestSchema, env.request);
    // Embedding inputs are screened as one user message per input.
    const chat = isChat
      ? fromBinary(ChatRequestSchema, env.request)
      : create(ChatRequestSchema, {
          messages: (embed?.input ?? []).map((text) =>
            create(MessageSchema, {
              role: "user",
              content: [create(ContentPartSchema, { part: { case: "text", value: text } })],
            }),
          ),
        });
    const screening = screenRequest(chat, deps.policy);
    deps.metrics?.(screening);
    env.guard = create(GuardResultSchema, { action: screening.action, findings: screening.findings });
    if (screening.budgetExceeded === "closed") {
      throw new GatewayError(
        "blocked",
        `the request could not be screened within the guard's time budget of ${deps.policy.budget_ms} ms, ` +
          `and the policy fails closed (${BUDGET_FINDING.rule}); send less text`,
      );
    }
    if (screening.action === Action.BLOCK) {
      const kinds = screening.findings.filter((f) => f.action === Action.BLOCK).map((f) => f.kind);
      throw new GatewayError(
        "blocked",
        `the request was blocked by the guard policy (${[...new Set(kinds)].join(", ")})`,
      );
    }
    if (screening.changed) {
      if (isChat) env.request = toBinary(ChatRequestSchema, chat);
      else if (embed) {
        embed.input = chat.messages.map((m) =>
          m.content[0]?.part.case === "text" ? m.content[0].part.value : "",
        );
        env.request = toBinary(EmbedRequestSchema, embed);
      }
    }
    return Promise.resolve(env);
  };
}

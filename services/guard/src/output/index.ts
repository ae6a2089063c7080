// What the provider stage uses to screen answers: one screen per request, made from the
// tenant's policy and the plan the guard stage left in the envelope.
import type { GuardConfig } from "@switchyard/common";
import type { Envelope } from "@switchyard/proto";
import { tenantPolicies } from "../policy-table.js";
import { createValueHasher } from "../value-hash.js";
import { createAnswerScreen, type AnswerScreen } from "./answer-screen.js";

export type { AnswerScreen } from "./answer-screen.js";

/** The answer screen of a request, or undefined when its answer needs none. */
export type AnswerScreens = (
  env: Pick<Envelope, "tenantId" | "guardPlan" | "kind">,
) => AnswerScreen | undefined;

export function createAnswerScreens(config: GuardConfig, hashSalt?: string): AnswerScreens {
  const policies = tenantPolicies(config);
  const { hash } = createValueHasher(hashSalt);
  return (env) => createAnswerScreen(policies(env.tenantId), env.guardPlan, hash);
}

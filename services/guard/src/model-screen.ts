// The model layer's part in a screening: the text parts the fast layer was unsure of (and the
// roles the model always hears) go to the ONNX classifier in one batch; a score from the
// threshold up is an injection finding with the role's action. When the model cannot answer
// in time (timeout, queue full, error) the policy fails open (flag) or closed (block).
import { create } from "@bufbuild/protobuf";
import { GUARD_ACTION, type GuardModelConfig } from "@switchyard/common";
import { Action, FindingSchema } from "@switchyard/proto";
import type { ModelLayer, ModelResult } from "./model/model-layer.js";
import type { Screening } from "./policy.js";
import { strongest, type PolicyTable } from "./policy-table.js";

export const MODEL_RULE = "injection.model";

/** What the model said about one screening, for metrics. */
export type ModelOutcome = ModelResult["status"];

function addFinding(screening: Screening, kind: string, rule: string, action: Action): void {
  const f = screening.findings.find((x) => x.rule === rule);
  if (f === undefined) screening.findings.push(create(FindingSchema, { kind, rule, count: 1, action }));
  else {
    f.count++;
    f.action = strongest(f.action, action);
  }
  screening.action = strongest(screening.action, action);
}

/** Asks the model about the screening's unsure parts and adds what it finds; undefined if not asked. */
export async function consultModel(
  layer: ModelLayer,
  config: GuardModelConfig,
  screening: Screening,
  table: PolicyTable,
): Promise<ModelOutcome | undefined> {
  // A blocked request is blocked whatever the model says.
  if (screening.unsure.length === 0 || screening.action === Action.BLOCK) return undefined;
  const texts = screening.unsure.map((u) => (u.part.part.case === "text" ? u.part.part.value : ""));
  const result = await layer.classify(texts, config.timeout_ms);
  if (result.status === "ok") {
    result.scores.forEach((score, i) => {
      if (score < config.threshold) return;
      const role = screening.unsure[i]!.role;
      addFinding(
        screening,
        "prompt_injection",
        MODEL_RULE,
        GUARD_ACTION[table.input("prompt_injection", role)],
      );
    });
  } else {
    const action = config.fail_mode === "closed" ? Action.BLOCK : Action.FLAG;
    addFinding(screening, "guard_model", `guard.model_${result.status}`, action);
  }
  return result.status;
}

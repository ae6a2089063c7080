// The guard's policy in the gateway file: what to do with each kind of finding, per direction
// (the prompt, the answer) and per role, for everyone and per tenant. A tenant's entry is read
// over the global policy: the fields it sets win, its rules come after the global ones.
import { Action } from "@switchyard/proto";
import { z } from "zod";

/** What the guard can find. */
export const GUARD_KINDS = [
  "email",
  "card_number",
  "iban",
  "us_ssn",
  "phone",
  "ip_address",
  "secret",
  "prompt_injection",
  "moderation",
] as const;
export type GuardKind = (typeof GUARD_KINDS)[number];

/**
 * allow: nothing; flag: recorded only; mask: asterisks but for the last four characters;
 * redact: a typed placeholder ("[EMAIL]"); tokenize: a numbered placeholder ("[EMAIL_1]") that
 * the answer has the value restored for; block: the request (or the answer) is refused.
 */
export const GUARD_ACTIONS = ["allow", "flag", "mask", "redact", "tokenize", "block"] as const;
export type GuardActionName = (typeof GUARD_ACTIONS)[number];

/** The envelope's Action of each of the policy's action names. */
export const GUARD_ACTION: Readonly<Record<GuardActionName, Action>> = {
  allow: Action.ALLOW,
  flag: Action.FLAG,
  mask: Action.MASK,
  redact: Action.REDACT,
  tokenize: Action.TOKENIZE,
  block: Action.BLOCK,
};

const ACTION_NAMES = new Map<Action, GuardActionName>(
  GUARD_ACTIONS.map((name) => [GUARD_ACTION[name], name]),
);

/** The policy's name of an action, for headers, logs and metric labels. */
export function guardActionName(action: Action): GuardActionName {
  return ACTION_NAMES.get(action) ?? "allow";
}

/** Roles as the policy names them: system (and developer), user, tool (and function) results. */
export const GUARD_ROLES = ["system", "user", "tool"] as const;
export type GuardRole = (typeof GUARD_ROLES)[number];

const action = z.enum(GUARD_ACTIONS);
/** An answer has nothing to restore a placeholder for, and injection is a prompt's matter. */
const outputAction = z.enum(["allow", "flag", "mask", "redact", "block"]);

/** A finer rule: the action for some kinds, in one direction, for some roles. Later rules win. */
const ruleSchema = z.strictObject({
  kinds: z.array(z.enum([...GUARD_KINDS, "*"])).min(1),
  direction: z.enum(["input", "output"]).default("input"),
  /** Input only: the roles of the messages it applies to (default all). */
  roles: z.array(z.enum(GUARD_ROLES)).min(1).optional(),
  action,
});
export type GuardRule = z.infer<typeof ruleSchema>;

export const INPUT_DEFAULTS = {
  email: "redact",
  card_number: "block",
  iban: "redact",
  us_ssn: "redact",
  phone: "redact",
  ip_address: "flag",
  secret: "block",
  prompt_injection: "block",
  /** Profanity and slurs (an English lexicon, docs/guard.md): off unless a policy asks. */
  moderation: "allow",
} as const satisfies Record<GuardKind, GuardActionName>;

/**
 * Answers are not screened unless a policy asks: screening a stream holds back its last
 * characters, which delays the first token the client sees (docs/guard.md, "Output").
 */
export const OUTPUT_DEFAULTS = {
  email: "allow",
  card_number: "allow",
  iban: "allow",
  us_ssn: "allow",
  phone: "allow",
  ip_address: "allow",
  secret: "allow",
  moderation: "allow",
  /** Characters of a streamed answer held back so a value split across chunks is still seen. */
  holdback_chars: 160,
} as const;

const INJECTION_DEFAULTS = { user_threshold: 0.7, untrusted_threshold: 0.5 } as const;

const inputFields = Object.fromEntries(GUARD_KINDS.map((k) => [k, action.default(INPUT_DEFAULTS[k])])) as {
  [K in GuardKind]: z.ZodDefault<typeof action>;
};
type OutputKind = Exclude<GuardKind, "prompt_injection">;
const outputFields = Object.fromEntries(
  GUARD_KINDS.filter((k) => k !== "prompt_injection").map((k) => [
    k,
    outputAction.default(OUTPUT_DEFAULTS[k]),
  ]),
) as { [K in OutputKind]: z.ZodDefault<typeof outputAction> };

const outputSchema = z.strictObject({
  ...outputFields,
  holdback_chars: z.number().int().min(0).max(4096).default(OUTPUT_DEFAULTS.holdback_chars),
});
const injectionSchema = z.strictObject({
  user_threshold: z.number().min(0).max(1).default(INJECTION_DEFAULTS.user_threshold),
  untrusted_threshold: z.number().min(0).max(1).default(INJECTION_DEFAULTS.untrusted_threshold),
});

/** The global policy's fields, every one with its default. */
const policyShape = {
  /** The prompt's actions per kind, for every role (rules refine them). */
  ...inputFields,
  /** The answer's actions per kind. */
  output: outputSchema.prefault({}),
  rules: z.array(ruleSchema).default([]),
  /**
   * A per-request canary token put in the system prompt: seen in the answer, it ends it
   * (block: content_filter) or is recorded (flag). "off" places none.
   */
  canary: z.enum(["off", "flag", "block"]).default("off"),
  /** Longest a screening may take; past it `fail_mode` decides. */
  budget_ms: z.number().positive().default(1000),
  /** Past the budget: `closed` blocks the request, `open` passes it flagged. */
  fail_mode: z.enum(["closed", "open"]).default("closed"),
  /**
   * The injection score (0–1) from which text counts as an injection: in user messages
   * (direct), and in tool results (indirect: untrusted, so a lower bar). System messages are
   * trusted.
   */
  injection: injectionSchema.prefault({}),
};

type PolicyFields = z.infer<z.ZodObject<typeof policyShape>>;

/** What a tenant overrides: any field, none filled in by default (the global policy's stand). */
export type GuardTenantPolicy = Partial<Omit<PolicyFields, "output" | "injection">> & {
  output?: Partial<PolicyFields["output"]>;
  injection?: Partial<PolicyFields["injection"]>;
};

const optional = (shape: Record<string, z.ZodType>) =>
  Object.fromEntries(
    Object.entries(shape).map(([k, s]) => [
      k,
      (s instanceof z.ZodDefault ? (s.unwrap() as z.ZodType) : s).optional(),
    ]),
  );

/**
 * The optional model layer (docs/guard-model.md): an ONNX classifier from a local file, asked
 * only about text the fast layer is unsure of, or text of the roles listed (untrusted ones).
 */
const modelSchema = z.strictObject({
  /** Local path of the .onnx file; never downloaded. */
  path: z.string().min(1),
  /** Worker threads, each with its own session. */
  threads: z.number().int().positive().max(64).default(1),
  output: z.enum(["probability", "logit"]).default("probability"),
  /** Feature dimension, when the model's input shape leaves it open. */
  dim: z.number().int().positive().optional(),
  /** Calls that may wait while every worker is busy; past it the call fails by `fail_mode`. */
  max_queue: z.number().int().positive().optional(),
  intra_op_threads: z.number().int().positive().default(1),
  /** Longest a request waits for the model, queueing included. */
  timeout_ms: z.number().positive().default(50),
  /** Fast-layer injection scores from this up to the role's threshold are unsure: the model decides. */
  uncertain_from: z.number().min(0).max(1).default(0.3),
  /** Roles whose text always goes to the model. */
  roles: z.array(z.enum(GUARD_ROLES)).default(["tool"]),
  /** The model's probability from which text counts as an injection. */
  threshold: z.number().min(0).max(1).default(0.5),
  /** When the model cannot answer in time: `open` flags, `closed` blocks. */
  fail_mode: z.enum(["open", "closed"]).default("open"),
});
export type GuardModelConfig = z.infer<typeof modelSchema>;

const tenantPolicySchema = z.strictObject({
  ...optional(inputFields),
  output: z.strictObject(optional(outputSchema.shape)).optional(),
  rules: z.array(ruleSchema).optional(),
  canary: policyShape.canary.unwrap().optional(),
  budget_ms: policyShape.budget_ms.unwrap().optional(),
  fail_mode: policyShape.fail_mode.unwrap().optional(),
  injection: z.strictObject(optional(injectionSchema.shape)).optional(),
}) as unknown as z.ZodType<GuardTenantPolicy>;

export const guardSchema = z
  .strictObject({
    ...policyShape,
    model: modelSchema.optional(),
    /** Per-tenant overrides, by tenant id. */
    tenants: z.record(z.string().min(1), tenantPolicySchema).default({}),
  })
  .superRefine((g, ctx) => {
    const check = (rules: GuardRule[] | undefined, path: (string | number)[]) =>
      rules?.forEach((r, i) => {
        if (r.direction === "output" && r.action === "tokenize")
          ctx.addIssue({
            code: "custom",
            path: [...path, i, "action"],
            message: "tokenize applies to prompts only: an answer has nothing to restore",
          });
        if (r.direction === "output" && r.roles !== undefined)
          ctx.addIssue({
            code: "custom",
            path: [...path, i, "roles"],
            message: "roles apply to input rules only",
          });
      });
    check(g.rules, ["rules"]);
    for (const [tenant, p] of Object.entries(g.tenants)) check(p.rules, ["tenants", tenant, "rules"]);
  });

export type GuardConfig = z.infer<typeof guardSchema>;
/** One tenant's policy, resolved: the global policy with its overrides. */
export type GuardPolicy = Omit<GuardConfig, "tenants">;

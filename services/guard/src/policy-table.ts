// A tenant's guard policy, resolved once into lookup tables: the action for each kind of
// finding per direction and role, and the detectors worth running for each role (a kind every
// rule allows is not looked for at all).
import {
  GUARD_KINDS,
  type GuardActionName,
  type GuardConfig,
  type GuardKind,
  type GuardPolicy,
  type GuardRole,
} from "@switchyard/common";
import { Action } from "@switchyard/proto";
import { INJECTION_DETECTOR } from "./injection/detect.js";
import { MODERATION_DETECTOR } from "./moderation/moderation.js";
import { PII_DETECTORS } from "./pii/index.js";
import type { Detector } from "./scan.js";

/** How strong an action is: a screening's action is the strongest of its findings'. */
const RANK: Record<Action, number> = {
  [Action.UNSPECIFIED]: 0,
  [Action.ALLOW]: 0,
  [Action.FLAG]: 1,
  [Action.MASK]: 2,
  [Action.TOKENIZE]: 3,
  [Action.REDACT]: 4,
  [Action.BLOCK]: 5,
};

export function strongest(a: Action, b: Action): Action {
  return RANK[b] > RANK[a] ? b : a;
}

/** The policy's name for the role a message was written in. */
export function roleOf(messageRole: string): GuardRole {
  if (messageRole === "system" || messageRole === "developer") return "system";
  if (messageRole === "tool" || messageRole === "function") return "tool";
  return "user";
}

export type OutputKind = Exclude<GuardKind, "prompt_injection">;

export interface PolicyTable {
  readonly policy: GuardPolicy;
  input(kind: GuardKind, role: GuardRole): GuardActionName;
  output(kind: OutputKind): GuardActionName;
  /** The detectors to run on a message of this role: those whose kind is not allowed outright. */
  detectorsFor(role: GuardRole): readonly Detector[];
  /** The detectors to run on answers; empty when the answer is not screened. */
  readonly outputDetectors: readonly Detector[];
  /** The injection score from which text of this role counts. */
  injectionBar(role: GuardRole): number;
}

const ALL_DETECTORS: readonly Detector[] = [...PII_DETECTORS, INJECTION_DETECTOR, MODERATION_DETECTOR];
const OUTPUT_DETECTORS: readonly Detector[] = [...PII_DETECTORS, MODERATION_DETECTOR];

export function buildTable(policy: GuardPolicy): PolicyTable {
  const input = new Map<string, GuardActionName>();
  const output = new Map<string, GuardActionName>();
  for (const kind of GUARD_KINDS) {
    for (const role of ["system", "user", "tool"] as const) {
      // System prompts are the operator's: trusted, not screened for injection unless a rule says.
      input.set(`${role}:${kind}`, kind === "prompt_injection" && role === "system" ? "allow" : policy[kind]);
    }
    if (kind !== "prompt_injection") output.set(kind, policy.output[kind]);
  }
  for (const rule of policy.rules) {
    const kinds = rule.kinds.includes("*") ? GUARD_KINDS : (rule.kinds as GuardKind[]);
    for (const kind of kinds) {
      if (rule.direction === "output") {
        if (kind !== "prompt_injection") output.set(kind, rule.action);
        continue;
      }
      for (const role of rule.roles ?? (["system", "user", "tool"] as const))
        input.set(`${role}:${kind}`, rule.action);
    }
  }
  const byRole = new Map<GuardRole, readonly Detector[]>();
  for (const role of ["system", "user", "tool"] as const)
    byRole.set(
      role,
      ALL_DETECTORS.filter((d) => input.get(`${role}:${d.kind}`) !== "allow"),
    );
  const outputDetectors = OUTPUT_DETECTORS.filter((d) => output.get(d.kind) !== "allow");
  return {
    policy,
    input: (kind, role) => input.get(`${role}:${kind}`) ?? "allow",
    output: (kind) => output.get(kind) ?? "allow",
    detectorsFor: (role) => byRole.get(role) ?? ALL_DETECTORS,
    outputDetectors,
    injectionBar: (role) =>
      role === "tool" ? policy.injection.untrusted_threshold : policy.injection.user_threshold,
  };
}

const tables = new WeakMap<GuardPolicy, PolicyTable>();

/** The table of a policy object, built on first use. */
export function tableOf(policy: GuardPolicy): PolicyTable {
  let table = tables.get(policy);
  if (table === undefined) tables.set(policy, (table = buildTable(policy)));
  return table;
}

/** Each tenant's policy: the global one with the tenant's overrides, resolved once. */
export function tenantPolicies(config: GuardConfig): (tenantId: string) => PolicyTable {
  const { tenants, ...global } = config;
  const globalTable = buildTable(global);
  const byTenant = new Map<string, PolicyTable>();
  for (const [tenant, o] of Object.entries(tenants)) {
    const merged: GuardPolicy = {
      ...global,
      ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)),
      output: { ...global.output, ...o.output },
      injection: { ...global.injection, ...o.injection },
      rules: [...global.rules, ...(o.rules ?? [])],
    };
    byTenant.set(tenant, buildTable(merged));
  }
  return (tenantId) => byTenant.get(tenantId) ?? globalTable;
}

// Request bodies of the admin API (zod): errors name the field.
import { KEY_SCOPES, budgetSchema } from "@switchyard/common";
import { z } from "zod";

const name = z.string().min(1).max(200);
const metadata = z.record(z.string().max(100), z.string().max(1000));
const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, "must be letters, digits, . _ : -");
const models = z.array(z.string().min(1).max(200)).max(100);
const scopes = z.array(z.enum(KEY_SCOPES)).max(KEY_SCOPES.length);
const expiresAt = z.iso.datetime({ offset: true }).nullable();
const rate = z.number().int().nonnegative();
/** Limits, and a budget (null removes it). */
const limits = {
  rpm: rate.optional(),
  tpm: rate.optional(),
  concurrency: rate.optional(),
  budget: budgetSchema.nullable().optional(),
};
/** What only a tenant has: the over-budget model, and fail modes while Redis is unreachable. */
const tenantOnly = {
  over_budget_model: z.string().min(1).max(200).nullable().optional(),
  on_store_down: z
    .strictObject({ limits: z.enum(["open", "closed"]), budgets: z.enum(["open", "closed"]) })
    .nullable()
    .optional(),
};
const modelLimits = z.record(
  z.string().min(1).max(200),
  z.strictObject({ rpm: rate.default(0), tpm: rate.default(0) }),
);

export const createTenant = z.strictObject({
  id: id.optional(),
  name,
  metadata: metadata.optional(),
  ...limits,
  ...tenantOnly,
});
export const updateTenant = z.strictObject({
  name: name.optional(),
  metadata: metadata.optional(),
  ...limits,
  ...tenantOnly,
});
export const createTeam = z.strictObject({
  id: id.optional(),
  tenant: id,
  name,
  metadata: metadata.optional(),
  ...limits,
});
export const updateTeam = z.strictObject({ name: name.optional(), metadata: metadata.optional(), ...limits });
export const createKey = z.strictObject({
  tenant: id.optional(),
  team: id.optional(),
  name,
  models: models.optional(),
  scopes: scopes.optional(),
  ...limits,
  model_limits: modelLimits.optional(),
  expires_at: expiresAt.optional(),
  metadata: metadata.optional(),
});
export const updateKey = z.strictObject({
  name: name.optional(),
  team: id.nullable().optional(),
  models: models.optional(),
  scopes: scopes.optional(),
  ...limits,
  model_limits: modelLimits.optional(),
  expires_at: expiresAt.optional(),
  metadata: metadata.optional(),
});
export const rotateKey = z.strictObject({
  /** How long the old secret keeps working (default one hour, at most 30 days). */
  grace_seconds: z
    .number()
    .int()
    .nonnegative()
    .max(30 * 24 * 3600)
    .optional(),
});

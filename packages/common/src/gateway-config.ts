// The gateway's one YAML file: tenants, keys, providers, the model catalog, guard policy.
// Every stage loads the same file and reads the parts it owns. Secrets never live here:
// a provider names the environment variable that holds its credential.
import { z } from "zod";
import { ConfigError, loadYamlFile } from "./config.js";
import { chainSchema } from "./chains/chain-config.js";
import { guardSchema } from "./guard-config.js";
import { aliasRoutingShape, deploymentRoutingShape } from "./routing-config.js";

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, "must be letters, digits, . _ : -");

export const providerTypes = [
  "openai",
  "azure",
  "anthropic",
  "gemini",
  "bedrock",
  "mistral",
  "openai-compatible",
] as const;

const providerSchema = z.strictObject({
  type: z.enum(providerTypes),
  base_url: z.url(),
  /** Environment variable holding the API key (AWS: the access key id). */
  api_key_env: z.string().optional(),
  /** Bedrock only: environment variable holding the AWS secret access key. */
  secret_key_env: z.string().optional(),
  region: z.string().optional(),
  api_version: z.string().optional(),
  timeout_ms: z.number().int().positive().default(60_000),
  max_connections: z.number().int().positive().default(128),
});

const usdPrice = z.number().nonnegative().optional();

const deploymentSchema = z.strictObject({
  id,
  provider: id,
  /** The model name sent upstream. */
  model: z.string().min(1),
  /** The model to look up in the price data when it is not `model` (a fine-tune, a mock). */
  price_model: z.string().min(1).optional(),
  // Prices in USD per million tokens (request_usd: per request). Each one set overrides the
  // price data for that price, tiers included; unset ones come from the data (docs/prices.md).
  input_usd_per_mtok: usdPrice,
  cached_input_usd_per_mtok: usdPrice,
  cache_write_usd_per_mtok: usdPrice,
  cache_write_1h_usd_per_mtok: usdPrice,
  output_usd_per_mtok: usdPrice,
  reasoning_usd_per_mtok: usdPrice,
  request_usd: usdPrice,
  ...deploymentRoutingShape,
});

const modelSchema = z
  .strictObject({
    alias: z.string().min(1),
    kind: z.enum(["chat", "embedding"]).default("chat"),
    ...aliasRoutingShape,
    deployments: z.array(deploymentSchema).min(1),
  })
  .superRefine((model, ctx) => {
    const ids = new Set(model.deployments.map((d) => d.id));
    const check = (list: readonly string[], path: (string | number)[]): void =>
      list.forEach((depId, k) => {
        if (!ids.has(depId))
          ctx.addIssue({
            code: "custom",
            path: [...path, k],
            message: `no deployment "${depId}" in this alias`,
          });
      });
    model.routes.forEach((r, i) => check(r.deployments ?? [], ["routes", i, "deployments"]));
    check(model.fallback.content_policy, ["fallback", "content_policy"]);
  });

/** Limits over the limit window (a minute by default); 0 for none. */
const rate = z.number().int().nonnegative().default(0);

export const BUDGET_PERIODS = ["day", "week", "month", "total"] as const;
export const DEFAULT_BUDGET_ALERTS = [0.5, 0.8, 0.95, 1];

/** Spend allowed per period, in USD. */
export const budgetSchema = z.strictObject({
  usd: z.number().positive(),
  /** day, week (from Monday) and month are calendar periods in `timezone`; total never resets. */
  period: z.enum(BUDGET_PERIODS).default("month"),
  timezone: z
    .string()
    .refine(
      (tz) => Intl.supportedValuesOf("timeZone").includes(tz) || tz === "UTC",
      "must be an IANA time zone",
    )
    .default("UTC"),
  /** hard: refuse what the budget cannot cover; soft: alert only. */
  mode: z.enum(["hard", "soft"]).default("hard"),
  /** Fractions of the budget at which an alert is published, once per period each. */
  alert_at: z.array(z.number().positive().max(1)).default(DEFAULT_BUDGET_ALERTS),
});
export type BudgetConfig = z.infer<typeof budgetSchema>;

/** While the store (Redis) cannot be reached: let requests through uncounted, or answer 503. */
const storeDownSchema = z.strictObject({
  limits: z.enum(["open", "closed"]).default("open"),
  budgets: z.enum(["open", "closed"]).default("closed"),
});

const tenantSchema = z.strictObject({
  id,
  name: z.string().optional(),
  rpm: rate,
  tpm: rate,
  concurrency: rate,
  budget: budgetSchema.optional(),
  /** A model alias to serve instead of refusing when a hard budget cannot cover a request. */
  over_budget_model: z.string().min(1).optional(),
  on_store_down: storeDownSchema.optional(),
});

const teamSchema = z.strictObject({
  id,
  tenant: id,
  name: z.string().optional(),
  rpm: rate,
  tpm: rate,
  concurrency: rate,
  budget: budgetSchema.optional(),
});

export const KEY_SCOPES = ["chat", "embeddings", "batches", "admin", "tenant_admin"] as const;
export type KeyScope = (typeof KEY_SCOPES)[number];

const keySchema = z.strictObject({
  id,
  tenant: id,
  team: id.optional(),
  name: z.string().optional(),
  /** `sha256:<hex>` of the key; the key itself is never stored. */
  hash: z.string().regex(/^sha256:[0-9a-f]{64}$/, "must be sha256:<64 hex digits>"),
  /** Model alias patterns this key may use: an alias, or a prefix ending in `*` (`*` for all). */
  models: z.array(z.string()).default(["*"]),
  scopes: z.array(z.enum(KEY_SCOPES)).default(["chat", "embeddings", "batches"]),
  /** Requests per minute; 0 = unlimited. */
  rpm: rate,
  /** Tokens (prompt + output) per minute; 0 = unlimited. */
  tpm: rate,
  /** Requests in flight at once; 0 = unlimited. */
  concurrency: rate,
  /** Limits of this key with the models a pattern matches. */
  model_limits: z.record(z.string().min(1), z.strictObject({ rpm: rate, tpm: rate })).default({}),
  budget: budgetSchema.optional(),
  /** When the key stops working (ISO 8601). */
  expires: z.iso.datetime({ offset: true }).optional(),
});

export const gatewayConfigSchema = z
  .strictObject({
    tenants: z.array(tenantSchema).default([]),
    teams: z.array(teamSchema).default([]),
    keys: z.array(keySchema).default([]),
    providers: z.record(id, providerSchema).default({}),
    models: z.array(modelSchema).default([]),
    limits: z
      .strictObject({
        /** The window rpm and tpm count over; a minute (shorter only for tests). */
        window_ms: z.number().int().positive().default(60_000),
        /** Output tokens reserved for a request that sets no max_tokens. */
        default_output_tokens: z.number().int().positive().default(4096),
      })
      .default({ window_ms: 60_000, default_output_tokens: 4096 }),
    budgets: z
      .strictObject({
        /** Also POST each budget alert here (JSON), besides publishing it on JetStream. */
        alert_webhook_url: z.url().optional(),
        /** How long past its deadline a request's reservation is held before it expires. */
        reservation_grace_ms: z.number().int().nonnegative().default(60_000),
      })
      .default({ reservation_grace_ms: 60_000 }),
    guard: guardSchema.prefault({}),
    /** Prompt chains run by the orchestrator (docs/chains.md). */
    chains: z.array(chainSchema).default([]),
  })
  .superRefine((cfg, ctx) => {
    const tenants = new Set(cfg.tenants.map((t) => t.id));
    const teams = new Map(cfg.teams.map((t) => [t.id, t.tenant]));
    cfg.teams.forEach((team, i) => {
      if (!tenants.has(team.tenant))
        ctx.addIssue({
          code: "custom",
          path: ["teams", i, "tenant"],
          message: `unknown tenant "${team.tenant}"`,
        });
    });
    cfg.keys.forEach((key, i) => {
      if (!tenants.has(key.tenant)) {
        ctx.addIssue({
          code: "custom",
          path: ["keys", i, "tenant"],
          message: `unknown tenant "${key.tenant}"`,
        });
      }
      if (key.team !== undefined && teams.get(key.team) !== key.tenant) {
        ctx.addIssue({
          code: "custom",
          path: ["keys", i, "team"],
          message: `no team "${key.team}" in tenant "${key.tenant}"`,
        });
      }
    });
    const aliases = new Set(cfg.models.map((m) => m.alias));
    cfg.tenants.forEach((t, i) => {
      if (t.over_budget_model !== undefined && !aliases.has(t.over_budget_model))
        ctx.addIssue({
          code: "custom",
          path: ["tenants", i, "over_budget_model"],
          message: `unknown model alias "${t.over_budget_model}"`,
        });
    });
    const versions = new Set<string>();
    cfg.chains.forEach((chain, i) => {
      const v = `${chain.name}@${chain.version}`;
      if (versions.has(v))
        ctx.addIssue({
          code: "custom",
          path: ["chains", i, "version"],
          message: `chain ${v} is declared twice`,
        });
      versions.add(v);
      chain.steps.forEach((step, j) => {
        if (!aliases.has(step.model))
          ctx.addIssue({
            code: "custom",
            path: ["chains", i, "steps", j, "model"],
            message: `unknown model alias "${step.model}"`,
          });
      });
    });
    cfg.models.forEach((model, i) => {
      model.deployments.forEach((dep, j) => {
        if (!Object.hasOwn(cfg.providers, dep.provider)) {
          ctx.addIssue({
            code: "custom",
            path: ["models", i, "deployments", j, "provider"],
            message: `unknown provider "${dep.provider}"`,
          });
        }
      });
    });
  });

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
export type ProviderConfig = z.infer<typeof providerSchema>;
export type DeploymentConfig = z.infer<typeof deploymentSchema>;
export type ModelConfig = z.infer<typeof modelSchema>;
export type KeyConfig = z.infer<typeof keySchema>;
export type TeamConfig = z.infer<typeof teamSchema>;
export type TenantConfig = z.infer<typeof tenantSchema>;

export function loadGatewayConfig(path: string): GatewayConfig {
  return loadYamlFile(path, gatewayConfigSchema);
}

export interface ProviderSecrets {
  apiKey: string;
  secretKey: string;
}

/**
 * Reads every provider's credentials from the environment. A provider that names a variable
 * that is not set fails start-up, naming both the config key and the variable.
 */
export function resolveProviderSecrets(
  cfg: GatewayConfig,
  source: NodeJS.ProcessEnv,
): ReadonlyMap<string, ProviderSecrets> {
  const problems: string[] = [];
  const out = new Map<string, ProviderSecrets>();
  const read = (providerId: string, key: string, variable: string | undefined): string => {
    if (variable === undefined) return "";
    const value = source[variable];
    if (value === undefined || value === "") {
      problems.push(`providers.${providerId}.${key}: environment variable ${variable} is not set`);
      return "";
    }
    return value;
  };
  for (const [providerId, p] of Object.entries(cfg.providers)) {
    out.set(providerId, {
      apiKey: read(providerId, "api_key_env", p.api_key_env),
      secretKey: read(providerId, "secret_key_env", p.secret_key_env),
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}

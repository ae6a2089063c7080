// The gateway file for local runs and tests: one tenant, the dev key (hashed), and every
// provider protocol pointed at the MOCK provider. Nothing here is a real provider.
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { stringify } from "yaml";

export interface LocalConfigOptions {
  /** Base URL of the mock provider, e.g. http://127.0.0.1:9700 */
  mockUrl: string;
  /** Keys to accept: id → plaintext key (stored hashed). */
  keys: Record<
    string,
    {
      key: string;
      rpm?: number;
      tpm?: number;
      concurrency?: number;
      models?: string[];
      scopes?: string[];
      /** A budget, as the gateway file takes it ({ usd, period, … }). */
      budget?: Record<string, unknown>;
    }
  >;
  /** Extra models (for tests of fallback and the like), appended to the catalog. */
  extraModels?: unknown[];
  /** Extra providers, merged into the providers map. */
  extraProviders?: Record<string, unknown>;
  guard?: Record<string, unknown>;
}

/** Environment variables holding the mock's credentials, as a real deployment would. */
export const LOCAL_SECRETS: Record<string, string> = {
  MOCK_OPENAI_API_KEY: "mock-openai-key",
  MOCK_AZURE_API_KEY: "mock-azure-key",
  MOCK_ANTHROPIC_API_KEY: "mock-anthropic-key",
  MOCK_GEMINI_API_KEY: "mock-gemini-key",
  MOCK_MISTRAL_API_KEY: "mock-mistral-key",
  MOCK_COMPAT_API_KEY: "mock-compat-key",
  MOCK_AWS_ACCESS_KEY_ID: "MOCKAKIDEXAMPLE",
  MOCK_AWS_SECRET_ACCESS_KEY: "mock-secret-key",
};

export function sha256Key(key: string): string {
  return `sha256:${createHash("sha256").update(key).digest("hex")}`;
}

export function localGatewayConfig(opts: LocalConfigOptions): Record<string, unknown> {
  const m = opts.mockUrl.replace(/\/+$/, "");
  const providers: Record<string, unknown> = {
    "mock-openai": { type: "openai", base_url: `${m}/openai/v1`, api_key_env: "MOCK_OPENAI_API_KEY" },
    "mock-azure": {
      type: "azure",
      base_url: `${m}/azure`,
      api_key_env: "MOCK_AZURE_API_KEY",
      api_version: "2024-10-21",
    },
    "mock-anthropic": {
      type: "anthropic",
      base_url: `${m}/anthropic/v1`,
      api_key_env: "MOCK_ANTHROPIC_API_KEY",
    },
    "mock-gemini": { type: "gemini", base_url: `${m}/gemini/v1beta`, api_key_env: "MOCK_GEMINI_API_KEY" },
    "mock-bedrock": {
      type: "bedrock",
      base_url: `${m}/bedrock`,
      api_key_env: "MOCK_AWS_ACCESS_KEY_ID",
      secret_key_env: "MOCK_AWS_SECRET_ACCESS_KEY",
      region: "us-east-1",
    },
    "mock-mistral": { type: "mistral", base_url: `${m}/mistral/v1`, api_key_env: "MOCK_MISTRAL_API_KEY" },
    "mock-compat": {
      type: "openai-compatible",
      base_url: `${m}/compat/v1`,
      api_key_env: "MOCK_COMPAT_API_KEY",
    },
    ...opts.extraProviders,
  };
  const chat = (alias: string, provider: string, model: string) => ({
    alias,
    kind: "chat",
    deployments: [
      { id: `${provider}-${model}`, provider, model, input_usd_per_mtok: 0.15, output_usd_per_mtok: 0.6 },
    ],
  });
  const embed = (alias: string, provider: string, model: string) => ({
    alias,
    kind: "embedding",
    deployments: [{ id: `${provider}-${model}`, provider, model, input_usd_per_mtok: 0.02 }],
  });
  return {
    tenants: [{ id: "local", name: "Local development" }],
    keys: Object.entries(opts.keys).map(([id, k]) => ({
      id,
      tenant: "local",
      hash: sha256Key(k.key),
      models: k.models ?? ["*"],
      rpm: k.rpm ?? 0,
      tpm: k.tpm ?? 0,
      concurrency: k.concurrency ?? 0,
      ...(k.scopes ? { scopes: k.scopes } : {}),
      ...(k.budget ? { budget: k.budget } : {}),
    })),
    providers,
    models: [
      chat("mock-gpt", "mock-openai", "mock-gpt"),
      chat("mock-azure-gpt", "mock-azure", "mock-gpt"),
      chat("mock-claude", "mock-anthropic", "mock-claude"),
      chat("mock-gemini", "mock-gemini", "mock-gemini"),
      chat("mock-bedrock", "mock-bedrock", "mock-bedrock"),
      chat("mock-mistral", "mock-mistral", "mock-mistral"),
      chat("mock-compat", "mock-compat", "mock-compat"),
      embed("mock-embed", "mock-openai", "mock-embed"),
      embed("mock-gemini-embed", "mock-gemini", "mock-gemini-embed"),
      embed("mock-mistral-embed", "mock-mistral", "mock-mistral-embed"),
      ...(opts.extraModels ?? []),
    ],
    ...(opts.guard ? { guard: opts.guard } : {}),
  };
}

export function writeGatewayConfig(path: string, config: Record<string, unknown>): void {
  writeFileSync(path, `# Generated for a local run; do not edit.\n${stringify(config)}`);
}

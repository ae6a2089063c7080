// Every adapter by provider id; the provider service looks adapters up here.
import type { ProviderAdapter, ProviderId } from "./adapter.js";
import { anthropic } from "./anthropic/anthropic.js";
import { azure } from "./azure/azure.js";
import { bedrock } from "./bedrock/bedrock.js";
import { gemini } from "./gemini/gemini.js";
import { mistral } from "./mistral/mistral.js";
import { openaiCompatible } from "./openai-compatible/openai-compatible.js";
import { openai } from "./openai/openai.js";

export const providers = {
  openai,
  azure,
  anthropic,
  gemini,
  bedrock,
  mistral,
  "openai-compatible": openaiCompatible,
} as const satisfies Record<ProviderId, ProviderAdapter>;

// The protocol registry: one path prefix per provider.
import type { Protocol, ProviderId } from "../types.js";
import type { AwsCredentials } from "../sigv4.js";
import { createAnthropicProtocol } from "./anthropic.js";
import { createAzureProtocol } from "./azure.js";
import { createBedrockProtocol } from "./bedrock.js";
import { createGeminiProtocol } from "./gemini.js";
import { createMistralProtocol } from "./mistral.js";
import { createOpenAiProtocol } from "./openai.js";

export type BedrockProtocol = ReturnType<typeof createBedrockProtocol>;

export interface ProtocolSet {
  byPrefix: Record<ProviderId, Protocol>;
  bedrock: BedrockProtocol;
}

export function createProtocols(opts: { region: string; credentials: AwsCredentials }): ProtocolSet {
  const bedrock = createBedrockProtocol(opts);
  return {
    bedrock,
    byPrefix: {
      openai: createOpenAiProtocol("openai"),
      compat: createOpenAiProtocol("compat"),
      azure: createAzureProtocol(),
      anthropic: createAnthropicProtocol(),
      gemini: createGeminiProtocol(),
      bedrock,
      mistral: createMistralProtocol(),
    },
  };
}

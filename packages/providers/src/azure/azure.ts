// Azure OpenAI: OpenAI's protocol on /openai/deployments/{deployment}/..., `api-key` header and a
// required api-version query parameter. The deployment names the model, so `model` is not sent.
import type { ProviderAdapter, UpstreamTarget } from "../adapter.js";
import { joinUrl } from "../shared/url.js";
import { createOpenAiAdapter } from "../openai/openai-adapter.js";

export const AZURE_DEFAULT_API_VERSION = "2024-10-21";

function url(t: UpstreamTarget, operation: string): string {
  const version = encodeURIComponent(t.apiVersion || AZURE_DEFAULT_API_VERSION);
  return `${joinUrl(t.baseUrl, `openai/deployments/${encodeURIComponent(t.upstreamModel)}/${operation}`)}?api-version=${version}`;
}

export const azure: ProviderAdapter = createOpenAiAdapter({
  id: "azure",
  displayName: "Azure OpenAI",
  chatUrl: (t) => url(t, "chat/completions"),
  embeddingsUrl: (t) => url(t, "embeddings"),
  headers: (t) => ({ "api-key": t.apiKey }),
  sendsModel: false,
  maxTokensField: "max_completion_tokens",
  streamUsage: true,
  lenient: false,
  embeddings: { dimensionsField: "dimensions", user: true },
});

// OpenAI itself: POST {baseUrl}/chat/completions with a bearer key.
import type { ProviderAdapter } from "../adapter.js";
import { joinUrl } from "../shared/url.js";
import { createOpenAiAdapter } from "./openai-adapter.js";

export const openai: ProviderAdapter = createOpenAiAdapter({
  id: "openai",
  displayName: "OpenAI",
  chatUrl: (t) => joinUrl(t.baseUrl, "chat/completions"),
  embeddingsUrl: (t) => joinUrl(t.baseUrl, "embeddings"),
  headers: (t) => ({ authorization: `Bearer ${t.apiKey}` }),
  sendsModel: true,
  maxTokensField: "max_completion_tokens",
  streamUsage: true,
  lenient: false,
  embeddings: { dimensionsField: "dimensions", user: true },
});

// Any server that speaks OpenAI's protocol (vLLM, Ollama, Groq, Together, DeepSeek, OpenRouter):
// max_tokens rather than max_completion_tokens, a bearer key only when one is configured, and
// lenient parsing (missing usage, ids, indexes or [DONE]; `reasoning_content`/`reasoning` deltas).
import type { ProviderAdapter } from "../adapter.js";
import { joinUrl } from "../shared/url.js";
import { createOpenAiAdapter } from "../openai/openai-adapter.js";

export const openaiCompatible: ProviderAdapter = createOpenAiAdapter({
  id: "openai-compatible",
  displayName: "OpenAI-compatible upstream",
  chatUrl: (t) => joinUrl(t.baseUrl, "chat/completions"),
  embeddingsUrl: (t) => joinUrl(t.baseUrl, "embeddings"),
  headers: (t): Record<string, string> => (t.apiKey === "" ? {} : { authorization: `Bearer ${t.apiKey}` }),
  sendsModel: true,
  maxTokensField: "max_tokens",
  streamUsage: true,
  lenient: true,
  embeddings: { dimensionsField: "dimensions", user: true },
});

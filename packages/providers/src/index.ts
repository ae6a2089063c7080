export type {
  ChatResult,
  EmbeddingsAdapter,
  ProviderAdapter,
  ProviderId,
  StreamDecoder,
  UpstreamRequest,
  UpstreamTarget,
} from "./adapter.js";
export { providers } from "./registry.js";
export { retryAfterMs } from "./shared/retry-after.js";
export { refusalKind, type RefusalKind } from "./shared/refusal.js";

// What differs between servers that speak OpenAI's chat-completions protocol. Azure, Mistral and
// the generic compatible adapter are dialects of the OpenAI adapter, not copies of it.
import type { ChatRequest, EmbedRequest } from "@switchyard/proto";
import type { ProviderId, UpstreamTarget } from "../adapter.js";
import type { JsonObject } from "../shared/json.js";
import type { OpenAiBodyOptions } from "./request-body.js";

export interface OpenAiDialect {
  id: ProviderId;
  /** Name used in error messages. */
  displayName: string;
  chatUrl(target: UpstreamTarget): string;
  embeddingsUrl(target: UpstreamTarget): string;
  headers(target: UpstreamTarget): Record<string, string>;
  /** Sends `model` in the body (Azure names the deployment in the URL instead). */
  sendsModel: boolean;
  maxTokensField: OpenAiBodyOptions["maxTokensField"];
  streamUsage: boolean;
  /** Accept missing ids/usage/[DONE] and DeepSeek/OpenRouter `reasoning` deltas. */
  lenient: boolean;
  /** Last-step rewrite of the chat body for the dialect's field differences. */
  adjustChatBody?(body: JsonObject, req: ChatRequest, stream: boolean): JsonObject;
  embeddings?: {
    dimensionsField: string;
    user: boolean;
    adjustBody?(body: JsonObject, req: EmbedRequest): JsonObject;
  };
}

// The contract between the provider service and one vendor's wire protocol. An adapter is pure:
// it builds the upstream HTTP request, parses the upstream answer and maps upstream errors; the
// service owns the sockets, retries and fallbacks.
import type { GatewayError } from "@switchyard/common";
import type {
  ChatChunk,
  ChatRequest,
  ChatResponse,
  EmbedRequest,
  EmbedResponse,
  Usage,
} from "@switchyard/proto";

export type ProviderId =
  "openai" | "azure" | "anthropic" | "gemini" | "bedrock" | "mistral" | "openai-compatible";

export interface UpstreamTarget {
  /** e.g. https://api.openai.com/v1; Azure: https://x.openai.azure.com; Gemini: .../v1beta; Bedrock: https://bedrock-runtime.<region>.amazonaws.com */
  baseUrl: string;
  /** Model name, Azure deployment name or Bedrock modelId. */
  upstreamModel: string;
  /** Bedrock: AWS access key id. */
  apiKey: string;
  /** Bedrock: AWS secret access key; "" otherwise. */
  secretKey: string;
  /** Bedrock signing region. */
  region: string;
  /** Azure api-version, Anthropic anthropic-version ("" = adapter default). */
  apiVersion: string;
}

export interface UpstreamRequest {
  url: string;
  method: "POST" | "GET";
  headers: Record<string, string>;
  body: string;
}

export interface ChatResult {
  response: ChatResponse;
  usage: Usage;
}

/** One per request. Decoders never emit usage-only chunks: usage comes from finish(). */
export interface StreamDecoder {
  /** Any split of the byte stream gives the same chunks. Throws GatewayError on an in-stream error event. */
  push(bytes: Uint8Array): ChatChunk[];
  /** After the body ends; throws GatewayError("upstream_error") if the protocol's terminal event never came. */
  finish(): { usage: Usage; finishReason: string };
}

export interface EmbeddingsAdapter {
  buildRequest(req: EmbedRequest, target: UpstreamTarget): Promise<UpstreamRequest>;
  parseResponse(status: number, body: unknown): { response: EmbedResponse; usage: Usage };
}

export interface ProviderAdapter {
  readonly id: ProviderId;
  /** Async because SigV4 signing is. */
  buildRequest(req: ChatRequest, target: UpstreamTarget, stream: boolean): Promise<UpstreamRequest>;
  /** body = parsed JSON of a 2xx response. */
  parseResponse(status: number, body: unknown): ChatResult;
  createStreamDecoder(): StreamDecoder;
  mapError(status: number, body: unknown, headers: Headers): GatewayError;
  embeddings?: EmbeddingsAdapter;
}

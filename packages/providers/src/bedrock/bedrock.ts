// Amazon Bedrock Runtime Converse API: POST {baseUrl}/model/{modelId}/converse and
// /converse-stream, SigV4-signed.
import type { ProviderAdapter } from "../adapter.js";
import { joinUrl } from "../shared/url.js";
import { mapBedrockError } from "./errors.js";
import { toBedrockBody } from "./request-body.js";
import { parseBedrockResponse } from "./response.js";
import { signBedrockRequest } from "./sign.js";
import { BedrockStreamDecoder } from "./stream-decoder.js";

export const bedrock: ProviderAdapter = {
  id: "bedrock",
  async buildRequest(req, target, stream) {
    const url = joinUrl(
      target.baseUrl,
      `model/${encodeURIComponent(target.upstreamModel)}/${stream ? "converse-stream" : "converse"}`,
    );
    const body = JSON.stringify(toBedrockBody(req, target.upstreamModel));
    const headers = {
      "content-type": "application/json",
      accept: stream ? "application/vnd.amazon.eventstream" : "application/json",
    };
    return signBedrockRequest(url, body, headers, target);
  },
  parseResponse(_status, body) {
    return parseBedrockResponse(body);
  },
  createStreamDecoder() {
    return new BedrockStreamDecoder();
  },
  mapError: mapBedrockError,
};

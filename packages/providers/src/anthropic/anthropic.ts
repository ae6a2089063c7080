// Anthropic Messages API: POST {baseUrl}/messages with x-api-key, anthropic-version and any
// anthropic-beta the client asked for.
import type { ProviderAdapter } from "../adapter.js";
import { joinUrl } from "../shared/url.js";
import { mapHttpError } from "../shared/http-error.js";
import { toAnthropicBody } from "./request-body.js";
import { parseAnthropicResponse } from "./response.js";
import { AnthropicStreamDecoder } from "./stream-decoder.js";
import { promised } from "../shared/lazy-promise.js";

export const ANTHROPIC_DEFAULT_VERSION = "2023-06-01";

export const anthropic: ProviderAdapter = {
  id: "anthropic",
  buildRequest(req, target, stream) {
    return promised(() => ({
      url: joinUrl(target.baseUrl, "messages"),
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: stream ? "text/event-stream" : "application/json",
        "x-api-key": target.apiKey,
        // The Anthropic door's own headers pass through, so the client gets the API it asked for.
        "anthropic-version": req.anthropicVersion || target.apiVersion || ANTHROPIC_DEFAULT_VERSION,
        ...(req.anthropicBeta.length > 0 ? { "anthropic-beta": req.anthropicBeta.join(",") } : {}),
      },
      body: JSON.stringify(toAnthropicBody(req, target.upstreamModel, stream)),
    }));
  },
  parseResponse(_status, body) {
    return parseAnthropicResponse(body);
  },
  createStreamDecoder() {
    return new AnthropicStreamDecoder();
  },
  mapError(status, body, headers) {
    // 529 overloaded_error is ≥ 500: upstream_error, retryable.
    return mapHttpError("Anthropic", status, body, headers);
  },
};

// Google Gemini API (generativelanguage.googleapis.com/v1beta): generateContent and
// streamGenerateContent?alt=sse, key in x-goog-api-key.
import type { ProviderAdapter, UpstreamTarget } from "../adapter.js";
import { joinUrl } from "../shared/url.js";
import { parseGeminiEmbeddings, toGeminiEmbedBody } from "./embeddings.js";
import { mapGeminiError } from "./errors.js";
import { toGeminiBody } from "./request-body.js";
import { parseGeminiResponse } from "./response.js";
import { GeminiStreamDecoder } from "./stream-decoder.js";
import { promised } from "../shared/lazy-promise.js";

function modelUrl(t: UpstreamTarget, method: string): string {
  return joinUrl(
    t.baseUrl,
    `models/${encodeURIComponent(t.upstreamModel.replace(/^models\//, ""))}:${method}`,
  );
}

function headers(t: UpstreamTarget, accept: string): Record<string, string> {
  return { "content-type": "application/json", accept, "x-goog-api-key": t.apiKey };
}

export const gemini: ProviderAdapter = {
  id: "gemini",
  buildRequest(req, target, stream) {
    return promised(() => ({
      url: stream
        ? `${modelUrl(target, "streamGenerateContent")}?alt=sse`
        : modelUrl(target, "generateContent"),
      method: "POST",
      headers: headers(target, stream ? "text/event-stream" : "application/json"),
      body: JSON.stringify(toGeminiBody(req)),
    }));
  },
  parseResponse(_status, body) {
    return parseGeminiResponse(body);
  },
  createStreamDecoder() {
    return new GeminiStreamDecoder();
  },
  mapError: mapGeminiError,
  embeddings: {
    buildRequest(req, target) {
      return promised(() => ({
        url: modelUrl(target, "batchEmbedContents"),
        method: "POST",
        headers: headers(target, "application/json"),
        body: JSON.stringify(toGeminiEmbedBody(req, target.upstreamModel)),
      }));
    },
    parseResponse(_status, body) {
      return parseGeminiEmbeddings(body);
    },
  },
};

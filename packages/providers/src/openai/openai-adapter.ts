// The OpenAI chat-completions adapter, parameterised by dialect.
import type { ProviderAdapter, UpstreamRequest } from "../adapter.js";
import { mapHttpError } from "../shared/http-error.js";
import { obj, str } from "../shared/json.js";
import type { OpenAiDialect } from "./dialect.js";
import { parseOpenAiEmbeddings, toOpenAiEmbedBody } from "./embeddings.js";
import { toOpenAiBody } from "./request-body.js";
import { parseOpenAiResponse } from "./response.js";
import { OpenAiStreamDecoder } from "./stream-decoder.js";
import { promised } from "../shared/lazy-promise.js";

export function createOpenAiAdapter(dialect: OpenAiDialect): ProviderAdapter {
  const embeddings = dialect.embeddings;
  return {
    id: dialect.id,
    buildRequest(req, target, stream): Promise<UpstreamRequest> {
      return promised(() => {
        let body = toOpenAiBody(req, {
          model: dialect.sendsModel ? target.upstreamModel : undefined,
          stream,
          maxTokensField: dialect.maxTokensField,
          streamUsage: dialect.streamUsage,
        });
        if (dialect.adjustChatBody !== undefined) body = dialect.adjustChatBody(body, req, stream);
        return {
          url: dialect.chatUrl(target),
          method: "POST",
          headers: {
            "content-type": "application/json",
            accept: stream ? "text/event-stream" : "application/json",
            ...dialect.headers(target),
          },
          body: JSON.stringify(body),
        } satisfies UpstreamRequest;
      });
    },
    parseResponse(_status, body) {
      return parseOpenAiResponse(dialect.displayName, body, dialect.lenient);
    },
    createStreamDecoder() {
      return new OpenAiStreamDecoder({ provider: dialect.displayName, lenient: dialect.lenient });
    },
    mapError(status, body, headers) {
      // OpenAI answers 429 both for rate limits and for an exhausted account; only the first passes.
      const code = str(obj(obj(body)["error"])["code"]);
      if (status === 429 && code === "insufficient_quota") {
        return mapHttpError(dialect.displayName, status, body, headers, {
          code: "upstream_error",
          retryable: false,
        });
      }
      return mapHttpError(dialect.displayName, status, body, headers);
    },
    ...(embeddings === undefined
      ? {}
      : {
          embeddings: {
            buildRequest(req, target): Promise<UpstreamRequest> {
              return promised(() => {
                let body = toOpenAiEmbedBody(req, {
                  model: dialect.sendsModel ? target.upstreamModel : undefined,
                  dimensionsField: embeddings.dimensionsField,
                  user: embeddings.user,
                });
                if (embeddings.adjustBody !== undefined) body = embeddings.adjustBody(body, req);
                return {
                  url: dialect.embeddingsUrl(target),
                  method: "POST",
                  headers: {
                    "content-type": "application/json",
                    accept: "application/json",
                    ...dialect.headers(target),
                  },
                  body: JSON.stringify(body),
                } satisfies UpstreamRequest;
              });
            },
            parseResponse(_status, body) {
              return parseOpenAiEmbeddings(dialect.displayName, body);
            },
          },
        }),
  };
}

// One status → GatewayError mapping for every provider. The gateway's own key is what a 401/403
// rejects, so those are upstream (operator) problems, never the client's: upstream_error, not
// retryable on the same deployment.
import { GatewayError, type ErrorCode } from "@switchyard/common";
import { arr, isObject, obj, str } from "./json.js";
import { retryAfterMs } from "./retry-after.js";

/** The provider's own error message from any of the shapes vendors use. */
export function upstreamMessage(body: unknown): string {
  if (typeof body === "string") return body.trim().slice(0, 2000);
  const first = Array.isArray(body) ? (body as unknown[])[0] : body; // Gemini sometimes wraps in [ ]
  const b = obj(first);
  const error = b["error"];
  if (typeof error === "string") return error;
  const e = obj(error);
  const message = str(e["message"]) || str(b["message"]) || str(b["Message"]);
  if (message !== "") return message;
  if (isObject(b["message"])) return JSON.stringify(b["message"]).slice(0, 2000); // Mistral 422
  const detail = b["detail"];
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) return JSON.stringify(detail).slice(0, 2000);
  if (isObject(first) || arr(first).length > 0) return JSON.stringify(first).slice(0, 2000);
  return "";
}

export interface MapErrorOptions {
  /** Overrides the status-derived code, e.g. for an error type named in the body. */
  code?: ErrorCode;
  retryable?: boolean;
}

export function mapHttpError(
  provider: string,
  status: number,
  body: unknown,
  headers: Headers,
  opts: MapErrorOptions = {},
): GatewayError {
  const detail = upstreamMessage(body);
  const message = `${provider} returned ${status}${detail === "" ? "" : `: ${detail}`}`;
  const base = { upstreamStatus: status, cause: body };
  if (opts.code !== undefined) {
    const retryAfter = opts.code === "rate_limited" ? retryAfterMs(headers) : undefined;
    return new GatewayError(opts.code, message, {
      ...base,
      retryable: opts.retryable,
      retryAfterMs: retryAfter,
    });
  }
  if (status === 400 || status === 422) return new GatewayError("invalid_argument", message, base);
  if (status === 401 || status === 403) {
    return new GatewayError(
      "upstream_error",
      `${provider} rejected the gateway's credentials (${status}): ${detail}`,
      {
        ...base,
        retryable: false,
      },
    );
  }
  if (status === 404) return new GatewayError("not_found", message, base);
  if (status === 408) return new GatewayError("deadline_exceeded", message, base);
  if (status === 413) return new GatewayError("payload_too_large", message, base);
  if (status === 429)
    return new GatewayError("rate_limited", message, { ...base, retryAfterMs: retryAfterMs(headers) });
  if (status >= 500)
    return new GatewayError("upstream_error", message, {
      ...base,
      retryable: true,
      retryAfterMs: retryAfterMs(headers),
    });
  return new GatewayError("upstream_error", message, { ...base, retryable: false });
}

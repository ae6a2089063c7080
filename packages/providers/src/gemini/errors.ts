// Gemini errors follow google.rpc.Status: { error: { code, message, status, details } }. Two
// details matter: RetryInfo.retryDelay on 429 (when no Retry-After header came) and reason
// API_KEY_INVALID on a 400, which is the gateway's key problem, not the client's request.
import type { GatewayError } from "@switchyard/common";
import { mapHttpError } from "../shared/http-error.js";
import { arr, obj, str } from "../shared/json.js";

function details(body: unknown): Record<string, unknown>[] {
  const first = Array.isArray(body) ? (body as unknown[])[0] : body;
  return arr(obj(obj(first)["error"])["details"]).map(obj);
}

export function mapGeminiError(status: number, body: unknown, headers: Headers): GatewayError {
  const ds = details(body);
  if (ds.some((d) => str(d["reason"]) === "API_KEY_INVALID")) {
    return mapHttpError("Gemini", status, body, headers, { code: "upstream_error", retryable: false });
  }
  if (status === 429 && headers.get("retry-after") === null) {
    const delay = ds.map((d) => str(d["retryDelay"])).find((d) => /^\d+(\.\d+)?s$/.test(d));
    if (delay !== undefined) {
      const withRetry = new Headers(headers);
      withRetry.set("retry-after", delay.slice(0, -1));
      return mapHttpError("Gemini", status, body, withRetry);
    }
  }
  return mapHttpError("Gemini", status, body, headers);
}

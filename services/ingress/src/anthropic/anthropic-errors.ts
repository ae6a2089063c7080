// GatewayError → Anthropic's error answer: `{type:"error", error:{type, message}, request_id}` with
// the status Anthropic uses for that kind of failure (SDKs retry on 429, 5xx and 529).
import type { ErrorCode, GatewayError } from "@switchyard/common";

const ERRORS: Record<ErrorCode, { status: number; type: string }> = {
  invalid_argument: { status: 400, type: "invalid_request_error" },
  blocked: { status: 400, type: "invalid_request_error" },
  unauthenticated: { status: 401, type: "authentication_error" },
  permission_denied: { status: 403, type: "permission_error" },
  key_pending_approval: { status: 403, type: "permission_error" },
  not_found: { status: 404, type: "not_found_error" },
  conflict: { status: 409, type: "invalid_request_error" },
  payload_too_large: { status: 413, type: "request_too_large" },
  rate_limited: { status: 429, type: "rate_limit_error" },
  budget_exceeded: { status: 402, type: "billing_error" },
  unavailable: { status: 529, type: "overloaded_error" },
  deadline_exceeded: { status: 504, type: "timeout_error" },
  cancelled: { status: 499, type: "api_error" },
  upstream_error: { status: 500, type: "api_error" },
  internal: { status: 500, type: "api_error" },
};

export function anthropicError(
  err: GatewayError,
  requestId?: string,
): { status: number; body: Record<string, unknown> } {
  // An overloaded upstream is passed on as Anthropic's overloaded, which clients back off from.
  const overloaded =
    err.code === "upstream_error" && (err.upstreamStatus === 529 || err.upstreamStatus === 503);
  const { status, type } = overloaded ? { status: 529, type: "overloaded_error" } : ERRORS[err.code];
  return {
    status,
    body: {
      type: "error",
      error: { type, message: err.message },
      ...(requestId !== undefined && requestId !== "" ? { request_id: requestId } : {}),
    },
  };
}

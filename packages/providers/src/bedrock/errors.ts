// Bedrock errors: the type is in the x-amzn-ErrorType header ("ThrottlingException:http://...")
// or the body's __type; the message in the body's message/Message. Stream exceptions arrive as
// event-stream frames with :exception-type (lower camel case) and a {"message"} payload.
import { GatewayError, type ErrorCode } from "@switchyard/common";
import { mapHttpError } from "../shared/http-error.js";
import { obj, str } from "../shared/json.js";

function errorType(body: unknown, headers: Headers): string {
  const raw = headers.get("x-amzn-errortype") ?? str(obj(body)["__type"]);
  return (raw.split(":")[0] ?? "").split("#").pop() ?? "";
}

const BY_TYPE: Record<string, { code: ErrorCode; retryable?: boolean }> = {
  throttlingexception: { code: "rate_limited" },
  servicequotaexceededexception: { code: "rate_limited" },
  modelnotreadyexception: { code: "upstream_error", retryable: true },
  modeltimeoutexception: { code: "deadline_exceeded" },
  modelerrorexception: { code: "upstream_error", retryable: true },
  modelstreamerrorexception: { code: "upstream_error", retryable: true },
  internalserverexception: { code: "upstream_error", retryable: true },
  serviceunavailableexception: { code: "upstream_error", retryable: true },
  validationexception: { code: "invalid_argument" },
  resourcenotfoundexception: { code: "not_found" },
  accessdeniedexception: { code: "upstream_error", retryable: false },
};

export function mapBedrockError(status: number, body: unknown, headers: Headers): GatewayError {
  const known = BY_TYPE[errorType(body, headers).toLowerCase()];
  // 401/403 keep the credentials wording of the shared mapping.
  if (known === undefined || status === 401 || status === 403)
    return mapHttpError("Bedrock", status, body, headers);
  return mapHttpError("Bedrock", status, body, headers, known);
}

export function bedrockStreamException(type: string, message: string): GatewayError {
  const known = BY_TYPE[type.toLowerCase()] ?? { code: "upstream_error" as const, retryable: true };
  return new GatewayError(known.code, `Bedrock stream ${type}: ${message}`, { retryable: known.retryable });
}

// One error type for the whole gateway. Each boundary maps it once: HTTP (OpenAI error JSON),
// gRPC status, NATS (ErrorInfo in a Reply), JetStream (nak/term).
import { status as GrpcStatus } from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import { ErrorInfoSchema, type ErrorInfo, type Outcome } from "@switchyard/proto";

export type ErrorCode =
  | "invalid_argument"
  | "unauthenticated"
  | "permission_denied"
  | "key_pending_approval"
  | "not_found"
  | "conflict"
  | "payload_too_large"
  | "rate_limited"
  | "budget_exceeded"
  | "blocked"
  | "unavailable"
  | "deadline_exceeded"
  | "cancelled"
  | "upstream_error"
  | "internal";

interface CodeInfo {
  httpStatus: number;
  grpcStatus: GrpcStatus;
  retryable: boolean;
  /** OpenAI's error `type` for this code. */
  openaiType: string;
}

const CODES: Record<ErrorCode, CodeInfo> = {
  invalid_argument: {
    httpStatus: 400,
    grpcStatus: GrpcStatus.INVALID_ARGUMENT,
    retryable: false,
    openaiType: "invalid_request_error",
  },
  unauthenticated: {
    httpStatus: 401,
    grpcStatus: GrpcStatus.UNAUTHENTICATED,
    retryable: false,
    openaiType: "authentication_error",
  },
  permission_denied: {
    httpStatus: 403,
    grpcStatus: GrpcStatus.PERMISSION_DENIED,
    retryable: false,
    openaiType: "permission_error",
  },
  key_pending_approval: {
    httpStatus: 403,
    grpcStatus: GrpcStatus.PERMISSION_DENIED,
    retryable: false,
    openaiType: "permission_error",
  },
  not_found: {
    httpStatus: 404,
    grpcStatus: GrpcStatus.NOT_FOUND,
    retryable: false,
    openaiType: "invalid_request_error",
  },
  conflict: {
    httpStatus: 409,
    grpcStatus: GrpcStatus.ALREADY_EXISTS,
    retryable: false,
    openaiType: "invalid_request_error",
  },
  payload_too_large: {
    httpStatus: 413,
    grpcStatus: GrpcStatus.RESOURCE_EXHAUSTED,
    retryable: false,
    openaiType: "invalid_request_error",
  },
  rate_limited: {
    httpStatus: 429,
    grpcStatus: GrpcStatus.RESOURCE_EXHAUSTED,
    retryable: true,
    openaiType: "rate_limit_error",
  },
  budget_exceeded: {
    httpStatus: 429,
    grpcStatus: GrpcStatus.RESOURCE_EXHAUSTED,
    retryable: false,
    openaiType: "insufficient_quota",
  },
  blocked: {
    httpStatus: 400,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
    retryable: false,
    openaiType: "content_policy_violation",
  },
  unavailable: {
    httpStatus: 503,
    grpcStatus: GrpcStatus.UNAVAILABLE,
    retryable: true,
    openaiType: "service_unavailable",
  },
  deadline_exceeded: {
    httpStatus: 504,
    grpcStatus: GrpcStatus.DEADLINE_EXCEEDED,
    retryable: true,
    openaiType: "timeout",
  },
  cancelled: { httpStatus: 499, grpcStatus: GrpcStatus.CANCELLED, retryable: false, openaiType: "cancelled" },
  upstream_error: {
    httpStatus: 502,
    grpcStatus: GrpcStatus.UNAVAILABLE,
    retryable: true,
    openaiType: "api_error",
  },
  internal: { httpStatus: 500, grpcStatus: GrpcStatus.INTERNAL, retryable: false, openaiType: "api_error" },
};

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(CODES, value);
}

export interface GatewayErrorOptions {
  retryable?: boolean;
  retryAfterMs?: number;
  /** The request field the error is about, e.g. "messages[0].role". */
  field?: string;
  stage?: string;
  upstreamStatus?: number;
  /** Headers (HTTP) or metadata (gRPC) the door sends with the error, e.g. x-ratelimit-*. */
  headers?: Readonly<Record<string, string>>;
  /**
   * What the provider knows of a request it could not serve (the deployment tried last, the
   * attempts), for the error answer's headers and the usage event.
   */
  outcome?: Outcome;
  cause?: unknown;
}

export class GatewayError extends Error {
  override readonly name = "GatewayError";
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number;
  readonly field: string;
  readonly stage: string;
  readonly upstreamStatus: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly outcome: Outcome | undefined;

  constructor(code: ErrorCode, message: string, opts: GatewayErrorOptions = {}) {
    super(message, { cause: opts.cause });
    this.code = code;
    this.retryable = opts.retryable ?? CODES[code].retryable;
    this.retryAfterMs = opts.retryAfterMs ?? 0;
    this.field = opts.field ?? "";
    this.stage = opts.stage ?? "";
    this.upstreamStatus = opts.upstreamStatus ?? 0;
    this.headers = opts.headers ?? {};
    this.outcome = opts.outcome;
  }

  get httpStatus(): number {
    return CODES[this.code].httpStatus;
  }

  get grpcStatus(): GrpcStatus {
    return CODES[this.code].grpcStatus;
  }

  /** Normalises anything thrown into a GatewayError; unknown errors become `internal`. */
  static from(err: unknown): GatewayError {
    if (err instanceof GatewayError) return err;
    if (err instanceof Error && err.name === "AbortError") {
      return new GatewayError("cancelled", "the request was cancelled", { cause: err });
    }
    if (err instanceof Error && err.name === "TimeoutError") {
      return new GatewayError("deadline_exceeded", "the request deadline passed", { cause: err });
    }
    const message = err instanceof Error ? err.message : String(err);
    return new GatewayError("internal", message, { cause: err });
  }

  /** The same error, attributed to a stage. */
  atStage(stage: string): GatewayError {
    return this.with({ stage });
  }

  /** The same error, with the provider's outcome of the request. */
  withOutcome(outcome: Outcome): GatewayError {
    return this.with({ outcome });
  }

  private with(changes: GatewayErrorOptions): GatewayError {
    return new GatewayError(this.code, this.message, {
      retryable: this.retryable,
      retryAfterMs: this.retryAfterMs,
      field: this.field,
      stage: this.stage,
      upstreamStatus: this.upstreamStatus,
      headers: this.headers,
      outcome: this.outcome,
      cause: this.cause,
      ...changes,
    });
  }

  /** The NATS wire form. */
  toInfo(): ErrorInfo {
    return create(ErrorInfoSchema, {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      retryAfterMs: this.retryAfterMs,
      stage: this.stage,
      field: this.field,
      upstreamStatus: this.upstreamStatus,
    });
  }

  /** From the NATS wire form, with the headers the door should send with it. */
  static fromInfo(info: ErrorInfo, headers?: Readonly<Record<string, string>>): GatewayError {
    const code = isErrorCode(info.code) ? info.code : "internal";
    return new GatewayError(code, info.message, {
      retryable: info.retryable,
      retryAfterMs: info.retryAfterMs,
      stage: info.stage,
      field: info.field,
      upstreamStatus: info.upstreamStatus,
      headers,
    });
  }

  /** OpenAI's error body: `{ error: { message, type, param, code } }`. */
  toOpenAI(): { error: { message: string; type: string; param: string | null; code: string } } {
    return {
      error: {
        message: this.message,
        type: CODES[this.code].openaiType,
        param: this.field === "" ? null : this.field,
        code: this.code,
      },
    };
  }
}

/**
 * What a failed NATS publish means for the request: a message over the server's max_payload
 * is the client's too-large request; anything else (a closed connection) is retryable.
 */
export function publishError(err: unknown, stage: string): GatewayError {
  const message = err instanceof Error ? err.message : String(err);
  if (message.includes("max_payload")) {
    return new GatewayError(
      "payload_too_large",
      "the request is larger than the largest message the pipeline carries (NATS max_payload)",
      { stage, cause: err },
    );
  }
  return new GatewayError("unavailable", `stage ${stage} could not pass the request on; retry`, {
    stage,
    cause: err,
  });
}

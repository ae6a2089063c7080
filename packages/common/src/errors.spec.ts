import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import { EnvelopeSchema, OutcomeSchema } from "@switchyard/proto";
import { GatewayError } from "./errors.js";
import { failedReply } from "./stage-step.js";

describe("GatewayError", () => {
  it("maps codes to HTTP and gRPC statuses with retryability", () => {
    const cases: [GatewayError, number, status, boolean][] = [
      [new GatewayError("invalid_argument", "x"), 400, status.INVALID_ARGUMENT, false],
      [new GatewayError("unauthenticated", "x"), 401, status.UNAUTHENTICATED, false],
      [new GatewayError("permission_denied", "x"), 403, status.PERMISSION_DENIED, false],
      [new GatewayError("not_found", "x"), 404, status.NOT_FOUND, false],
      [new GatewayError("payload_too_large", "x"), 413, status.RESOURCE_EXHAUSTED, false],
      [new GatewayError("rate_limited", "x"), 429, status.RESOURCE_EXHAUSTED, true],
      [new GatewayError("upstream_error", "x"), 502, status.UNAVAILABLE, true],
      [new GatewayError("unavailable", "x"), 503, status.UNAVAILABLE, true],
      [new GatewayError("deadline_exceeded", "x"), 504, status.DEADLINE_EXCEEDED, true],
    ];
    for (const [err, http, grpc, retryable] of cases) {
      assert.equal(err.httpStatus, http, err.code);
      assert.equal(err.grpcStatus, grpc, err.code);
      assert.equal(err.retryable, retryable, err.code);
    }
  });

  it("round-trips through the NATS ErrorInfo form", () => {
    const err = new GatewayError("rate_limited", "slow down", {
      retryAfterMs: 1500,
      stage: "meter",
      field: "model",
    });
    const back = GatewayError.fromInfo(err.toInfo());
    assert.deepEqual(
      [back.code, back.message, back.retryAfterMs, back.stage, back.field, back.retryable],
      ["rate_limited", "slow down", 1500, "meter", "model", true],
    );
  });

  it("keeps the provider's outcome when attributed to a stage, and answers with it", () => {
    const outcome = create(OutcomeSchema, { deployment: "mini-eu", attempts: 3, fallbacks: 1 });
    const err = new GatewayError("upstream_error", "bad gateway", { upstreamStatus: 503 })
      .withOutcome(outcome)
      .atStage("provider");
    assert.deepEqual([err.stage, err.upstreamStatus, err.outcome], ["provider", 503, outcome]);
    const reply = failedReply(create(EnvelopeSchema, { requestId: "r1" }), err);
    assert.equal(reply.result.case, "error");
    assert.deepEqual([reply.outcome?.deployment, reply.outcome?.attempts], ["mini-eu", 3]);
  });

  it("renders OpenAI's error body with the field as param", () => {
    const body = new GatewayError("invalid_argument", "messages: required", { field: "messages" }).toOpenAI();
    assert.deepEqual(body, {
      error: {
        message: "messages: required",
        type: "invalid_request_error",
        param: "messages",
        code: "invalid_argument",
      },
    });
  });

  it("normalises unknown throwables to internal, aborts to cancelled", () => {
    assert.equal(GatewayError.from(new Error("boom")).code, "internal");
    assert.equal(GatewayError.from("text").message, "text");
    assert.equal(GatewayError.from(new DOMException("x", "AbortError")).code, "cancelled");
    assert.equal(
      GatewayError.fromInfo({ ...new GatewayError("internal", "m").toInfo(), code: "martian" }).code,
      "internal",
    );
  });
});

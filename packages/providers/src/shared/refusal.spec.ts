import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GatewayError } from "@switchyard/common";
import { mapHttpError } from "./http-error.js";
import { refusalKind } from "./refusal.js";

const refusal = (status: number, body: unknown): ReturnType<typeof refusalKind> =>
  refusalKind(mapHttpError("X", status, body, new Headers()));

describe("refusal kinds", () => {
  it("recognises vendors' context-window refusals", () => {
    const openai = {
      error: {
        message:
          "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
        type: "invalid_request_error",
        code: "context_length_exceeded",
      },
    };
    assert.equal(refusal(400, openai), "context_window");
    const anthropic = {
      type: "error",
      error: { type: "invalid_request_error", message: "prompt is too long: 210000 tokens > 200000 maximum" },
    };
    assert.equal(refusal(400, anthropic), "context_window");
    const gemini = {
      error: {
        code: 400,
        message: "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
        status: "INVALID_ARGUMENT",
      },
    };
    assert.equal(refusal(400, gemini), "context_window");
    assert.equal(refusal(400, { message: "Input is too long for requested model." }), "context_window");
  });

  it("recognises content-policy refusals, and nothing else", () => {
    const azure = {
      error: {
        code: "content_filter",
        message:
          "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
      },
    };
    assert.equal(refusal(400, azure), "content_policy");
    assert.equal(refusal(400, { error: { message: "Invalid value for 'temperature'" } }), undefined);
    assert.equal(refusal(500, { error: { message: "context_length_exceeded" } }), undefined);
    assert.equal(refusalKind(new GatewayError("invalid_argument", "bad")), undefined);
  });
});

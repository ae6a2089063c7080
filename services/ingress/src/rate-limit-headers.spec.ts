import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { AdmissionSchema } from "@switchyard/proto";
import { durationText, rateLimitHeaders } from "./rate-limit-headers.js";

describe("rate-limit headers", () => {
  it("writes durations the way OpenAI does", () => {
    assert.equal(durationText(20), "20ms");
    assert.equal(durationText(1000), "1s");
    assert.equal(durationText(1500), "1.5s");
    assert.equal(durationText(60_000), "1m0s");
    assert.equal(durationText(360_000), "6m0s");
    assert.equal(durationText(3_723_000), "1h2m3s");
  });

  it("names the tightest request and token limits, and nothing for a request under none", () => {
    const admission = create(AdmissionSchema, {
      requests: { limit: 60, remaining: 59, resetMs: 60_000 },
      tokens: { limit: 10_000, remaining: 9_000, resetMs: 60_000 },
    });
    assert.deepEqual(rateLimitHeaders(admission), {
      "x-ratelimit-limit-requests": "60",
      "x-ratelimit-remaining-requests": "59",
      "x-ratelimit-reset-requests": "1m0s",
      "x-ratelimit-limit-tokens": "10000",
      "x-ratelimit-remaining-tokens": "9000",
      "x-ratelimit-reset-tokens": "1m0s",
    });
    assert.deepEqual(
      rateLimitHeaders(create(AdmissionSchema, { requests: { limit: 5, remaining: 0, resetMs: 250 } })),
      {
        "x-ratelimit-limit-requests": "5",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "250ms",
      },
    );
    assert.deepEqual(rateLimitHeaders(undefined), {});
    assert.deepEqual(rateLimitHeaders(create(AdmissionSchema, {})), {});
  });
});

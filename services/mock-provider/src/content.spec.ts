import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { countTokens, embedding, planReply, valueForSchema } from "./content.js";
import { findMarker, parseControls, splitControlPath } from "./controls.js";
import type { ChatIntent } from "./types.js";

const intent = (over: Partial<ChatIntent> = {}): ChatIntent => ({
  model: "mock-gpt",
  stream: false,
  lastUserText: "hello",
  promptText: "hello",
  messageCount: 1,
  images: 0,
  tools: [],
  toolChoice: "auto",
  lastIsToolResult: false,
  maxTokens: undefined,
  stop: [],
  json: undefined,
  includeUsage: false,
  ...over,
});

describe("controls", () => {
  it("parses key=value lists and rejects unknown keys", () => {
    assert.deepEqual(parseControls("latency=5, error=429,hang"), { latency: 5, error: 429, hang: 1 });
    assert.throws(() => parseControls("bogus=1"), /unknown mock control/);
    assert.throws(() => parseControls("words=-1"), /number/);
    assert.deepEqual(splitControlPath("/_mock/error=500/openai/v1/models"), {
      controls: "error=500",
      path: "/openai/v1/models",
    });
    assert.equal(findMarker("x [marker:abc-1] y [marker:z]"), "abc-1");
  });
});

describe("content", () => {
  it("is deterministic and depends on the last user message", () => {
    const a = planReply("openai", intent(), {});
    assert.deepEqual(planReply("openai", intent(), {}), a);
    assert.notDeepEqual(planReply("openai", intent({ lastUserText: "other" }), {}).pieces, a.pieces);
    assert.equal(a.pieces.length, 16);
    assert.equal(a.usage.completionTokens, 16);
  });

  it("stops at a stop sequence and at max tokens", () => {
    const full = planReply("openai", intent(), {}).pieces.join("");
    const stopped = planReply("openai", intent({ stop: ["from"] }), {});
    assert.equal(stopped.finish, "stop_sequence");
    assert.equal(stopped.pieces.join(""), full.slice(0, full.indexOf("from")));
    assert.equal(planReply("openai", intent({ maxTokens: 4 }), {}).finish, "length");
  });

  it("fills schemas and builds unit embeddings; counts tokens by a fixed rule", () => {
    const v = valueForSchema(
      {
        type: "object",
        properties: {
          a: { type: "string" },
          b: { type: "array", items: { type: "integer" } },
          c: { type: "boolean" },
        },
        required: ["a", "b"],
      },
      3,
    ) as Record<string, unknown>;
    assert.deepEqual(Object.keys(v), ["a", "b"]);
    assert.equal(typeof v.a, "string");
    const e = embedding("x", 16);
    assert.equal(e.length, 16);
    assert.ok(Math.abs(Math.hypot(...e) - 1) < 1e-4);
    assert.deepEqual(embedding("x", 16), e);
    assert.equal(countTokens("Hello, world 42!"), 6);
  });
});

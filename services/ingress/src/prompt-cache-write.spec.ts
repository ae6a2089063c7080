import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PromptCacheWrite } from "@switchyard/proto";
import { parseMessagesBody } from "./anthropic/anthropic-request.js";
import { promptCacheWriteOf } from "./prompt-cache-write.js";

/** The cache write an Anthropic Messages body asks for, through the door's own parser. */
function cacheWriteOf(body: Record<string, unknown>): PromptCacheWrite {
  const base = { model: "m", max_tokens: 10, messages: [{ role: "user", content: "hi" }] };
  return promptCacheWriteOf(parseMessagesBody({ ...base, ...body }, {}).request);
}

const ephemeral = { type: "ephemeral" };

describe("prompt cache write", () => {
  it("is none without a breakpoint", () => {
    assert.equal(cacheWriteOf({ system: "be brief" }), PromptCacheWrite.UNSPECIFIED);
  });

  it("finds breakpoints on the system prompt, content blocks and tools", () => {
    const system = [{ type: "text", text: "long instructions", cache_control: ephemeral }];
    assert.equal(cacheWriteOf({ system }), PromptCacheWrite.DEFAULT);
    const messages = [{ role: "user", content: [{ type: "text", text: "doc", cache_control: ephemeral }] }];
    assert.equal(cacheWriteOf({ messages }), PromptCacheWrite.DEFAULT);
    const tools = [
      { name: "t", input_schema: { type: "object" }, cache_control: { ...ephemeral, ttl: "1h" } },
    ];
    assert.equal(cacheWriteOf({ tools }), PromptCacheWrite.ONE_HOUR);
  });

  it("takes the one-hour write when any breakpoint asks for it, wherever it comes", () => {
    const messages = [
      { role: "user", content: [{ type: "text", text: "a", cache_control: { ...ephemeral, ttl: "1h" } }] },
      { role: "assistant", content: "b" },
      { role: "user", content: [{ type: "text", text: "c", cache_control: ephemeral }] },
    ];
    assert.equal(cacheWriteOf({ messages }), PromptCacheWrite.ONE_HOUR);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { ChatRequestSchema, EmbedRequestSchema } from "@switchyard/proto";
import { chatPromptTokens, embedPromptTokens, encodingFor } from "./prompt-tokens.js";

const chat = (...texts: string[]) =>
  create(ChatRequestSchema, {
    model: "m",
    messages: texts.map((value) => ({ role: "user", content: [{ part: { case: "text" as const, value } }] })),
  });

describe("prompt tokens", () => {
  it("counts with o200k_base plus OpenAI's framing per message", async () => {
    // "hello world" is two tokens in o200k_base; 3 per message and 3 for the reply.
    assert.equal(await chatPromptTokens(chat("hello world"), "o200k_base"), 2 + 3 + 3);
    assert.equal(await chatPromptTokens(chat("hello world", "hello world"), "o200k_base"), 2 * (2 + 3) + 3);
    assert.equal(
      await embedPromptTokens(
        create(EmbedRequestSchema, { model: "m", input: ["hello world", "hi"] }),
        "o200k_base",
      ),
      3,
    );
  });

  it("picks the encoding of the upstream model's family", async () => {
    for (const m of ["gpt-4o-mini", "gpt-4.1", "gpt-5", "o3-mini", "claude-sonnet-4", "gemini-2.0-flash", ""])
      assert.equal(encodingFor(m), "o200k_base", m);
    for (const m of ["gpt-4", "gpt-4-turbo", "gpt-3.5-turbo", "text-embedding-3-small"])
      assert.equal(encodingFor(m), "cl100k_base", m);
    // The encodings differ: the same text counts differently.
    const text = "Schöne Grüße aus München, 日本語のテキスト";
    const [o200k, cl100k] = await Promise.all([
      chatPromptTokens(chat(text), "o200k_base"),
      chatPromptTokens(chat(text), "cl100k_base"),
    ]);
    assert.notEqual(o200k, cl100k);
  });

  it("estimates a very long text from a sample, within a few percent", async () => {
    const text = "The quick brown fox jumps over the lazy dog. ".repeat(4000); // 180 KB
    const exact = 10 * 4000; // ten tokens per sentence
    const counted = (await chatPromptTokens(chat(text), "o200k_base")) - 6;
    assert.ok(Math.abs(counted - exact) / exact < 0.03, `${counted} vs ${exact}`);
  });
});

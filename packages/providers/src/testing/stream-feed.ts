// Test helpers: feed a recorded upstream body to a decoder in different splits and check that
// every split yields exactly the chunks of a whole-buffer feed.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { toJson, type JsonValue } from "@bufbuild/protobuf";
import { seededRandom } from "@switchyard/common";
import { ChatChunkSchema, UsageSchema, type ChatChunk, type Usage } from "@switchyard/proto";
import type { StreamDecoder } from "../adapter.js";

export function readFixture(url: URL): Uint8Array {
  return new Uint8Array(readFileSync(url));
}

export function readJsonFixture(url: URL): unknown {
  return JSON.parse(readFileSync(url, "utf8")) as unknown;
}

function feed(decoder: StreamDecoder, pieces: Uint8Array[]): ChatChunk[] {
  return pieces.flatMap((p) => decoder.push(p));
}

export function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(bytes.slice(start, cut));
    start = cut;
  }
  return out;
}

/** Cut points for a random split, reproducible from the seed. */
export function randomCuts(length: number, seed: number): number[] {
  const next = seededRandom(seed);
  const cuts: number[] = [];
  let at = 0;
  while (at < length) {
    at += 1 + Math.floor(next() * 23);
    if (at < length) cuts.push(at);
  }
  return cuts;
}

export function chunksJson(chunks: ChatChunk[]): JsonValue[] {
  return chunks.map((c) => toJson(ChatChunkSchema, c));
}

export function usageJson(usage: Usage): JsonValue {
  return toJson(UsageSchema, usage, { alwaysEmitImplicit: true });
}

export interface Decoded {
  chunks: ChatChunk[];
  usage: Usage;
  finishReason: string;
}

/**
 * Decodes `bytes` whole, one byte at a time and in 25 random splits; asserts that all give the
 * same chunks and the same finish(); returns the whole-buffer result.
 */
export function decodeAllSplits(create: () => StreamDecoder, bytes: Uint8Array): Decoded {
  const whole = create();
  const chunks = feed(whole, [bytes]);
  const end = whole.finish();
  const expected = chunksJson(chunks);
  const splits: Uint8Array[][] = [
    split(
      bytes,
      Array.from({ length: Math.max(0, bytes.length - 1) }, (_, i) => i + 1),
    ),
  ];
  for (let seed = 1; seed <= 25; seed++) splits.push(split(bytes, randomCuts(bytes.length, seed)));
  for (const pieces of splits) {
    const d = create();
    assert.deepEqual(chunksJson(feed(d, pieces)), expected, `split into ${pieces.length} pieces`);
    const e = d.finish();
    assert.deepEqual(usageJson(e.usage), usageJson(end.usage));
    assert.equal(e.finishReason, end.finishReason);
  }
  return { chunks, ...end };
}

/** What the chunks carry of reasoning and text, in order: "thinking:…", "signature:…", "redacted:…", "text:…". */
export function reasoningSequence(chunks: ChatChunk[]): string[] {
  return chunks.flatMap((c) => {
    const d = c.choices[0]?.delta;
    if (d === undefined) return [];
    return [
      ...(d.reasoningContent ? [`thinking:${d.reasoningContent}`] : []),
      ...(d.reasoningSignature ? [`signature:${d.reasoningSignature}`] : []),
      ...d.redactedReasoning.map((r) => `redacted:${r}`),
      ...(d.content ? [`text:${d.content}`] : []),
    ];
  });
}

/** The text a client would assemble from the chunks. */
export function contentOf(chunks: ChatChunk[]): string {
  return chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
}

export function reasoningOf(chunks: ChatChunk[]): string {
  return chunks.map((c) => c.choices[0]?.delta?.reasoningContent ?? "").join("");
}

/** Tool calls as a client assembles them from deltas, by index. */
export function toolCallsOf(
  chunks: ChatChunk[],
): { index: number; id: string; name: string; args: string }[] {
  const calls = new Map<number, { index: number; id: string; name: string; args: string }>();
  for (const c of chunks) {
    for (const t of c.choices[0]?.delta?.toolCalls ?? []) {
      const call = calls.get(t.index) ?? { index: t.index, id: "", name: "", args: "" };
      if (t.id !== "") {
        assert.equal(call.id, "", `tool call ${t.index} got a second id`);
        call.id = t.id;
      }
      if (t.functionName !== "") call.name = t.functionName;
      call.args += t.argumentsJson;
      calls.set(t.index, call);
    }
  }
  return [...calls.values()].sort((a, b) => a.index - b.index);
}

/** Decoding the body minus its last `drop` bytes must make finish() throw upstream_error. */
export function assertCutStreamThrows(create: () => StreamDecoder, bytes: Uint8Array): void {
  const d = create();
  d.push(bytes);
  assert.throws(
    () => d.finish(),
    (err: unknown) => (err as { code?: string }).code === "upstream_error",
  );
}

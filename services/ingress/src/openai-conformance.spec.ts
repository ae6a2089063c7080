import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it, mock } from "node:test";
import { create, fromJson, toJson, type JsonValue } from "@bufbuild/protobuf";
import { GatewayError, type ErrorCode } from "@switchyard/common";
import {
  ChatChunkSchema,
  ChatRequestSchema,
  ChatResponseSchema,
  EmbedRequestSchema,
  StreamDoneSchema,
  UsageSchema,
  type ChatChunk,
  type Usage,
} from "@switchyard/proto";
import { chatSseEncoder } from "./openai-door.js";
import { parseChatBody, parseEmbedBody } from "./openai-request.js";
import { chatResponseJson } from "./openai-response.js";
import { accumulateChunks } from "./testing/accumulate-chunks.js";

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8")) as T;

/** As the answer goes on the wire: sendJson's JSON.stringify drops undefined fields. */
const wire = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

// ---- requests ---------------------------------------------------------------------------------

interface ChatRequestCase {
  name: string;
  from: string;
  body: unknown;
  stream: boolean;
  canonical: unknown;
}
interface EmbedRequestCase {
  name: string;
  from: string;
  body: unknown;
  canonical: unknown;
}

const requests = fixture<{ chat: ChatRequestCase[]; embeddings: EmbedRequestCase[] }>(
  "openai-chat-requests.json",
);

describe("OpenAI chat door: request conformance", () => {
  describe("chat bodies as the SDKs send them → the canonical request", () => {
    for (const c of requests.chat) {
      it(`${c.name} — ${c.from}`, () => {
        const { request, stream } = parseChatBody(c.body);
        assert.deepEqual(toJson(ChatRequestSchema, request), c.canonical);
        assert.equal(stream, c.stream);
      });
    }
  });

  describe("embeddings bodies → the canonical request", () => {
    for (const c of requests.embeddings) {
      it(`${c.name} — ${c.from}`, () => {
        assert.deepEqual(toJson(EmbedRequestSchema, parseEmbedBody(c.body)), c.canonical);
      });
    }
  });
});

// ---- non-streaming answers --------------------------------------------------------------------

interface ResponseCase {
  name: string;
  canonical: JsonValue;
  expected: unknown;
}

const responses = fixture<{ alias: string; cases: ResponseCase[] }>("openai-chat-responses.json");

describe("OpenAI chat door: chat.completion conformance", () => {
  for (const c of responses.cases) {
    it(c.name, () => {
      const answer = fromJson(ChatResponseSchema, c.canonical);
      assert.deepEqual(wire(chatResponseJson(answer, responses.alias)), c.expected);
    });
  }
});

// ---- streams ----------------------------------------------------------------------------------

interface StreamCase {
  name: string;
  includeUsage: boolean;
  usage: JsonValue;
  chunks: JsonValue[];
  sse: string;
  splits: JsonValue[][];
  completion: { choices: unknown[] } & Record<string, unknown>;
}
interface StreamsFixture {
  alias: string;
  /** Date.now() while encoding: the usage chunk's `created` when no chunk had one. */
  now: number;
  streams: StreamCase[];
  errorStream: {
    name: string;
    chunks: JsonValue[];
    error: { code: ErrorCode; message: string };
    sse: string;
  };
}

const f = fixture<StreamsFixture>("openai-chat-streams.json");
const chunks = (json: JsonValue[]): ChatChunk[] => json.map((c) => fromJson(ChatChunkSchema, c));

function encode(cs: ChatChunk[], includeUsage: boolean, usage: Usage): string {
  const enc = chatSseEncoder(f.alias, includeUsage);
  return cs.map((c) => enc.chunk(c)).join("") + enc.done(create(StreamDoneSchema, { usage }));
}

interface ToolCallDeltaJson {
  index: number;
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}
interface ChunkJson {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: {
    index: number;
    delta: {
      role?: string;
      content?: string | null;
      refusal?: string | null;
      reasoning_content?: string;
      tool_calls?: ToolCallDeltaJson[];
    };
    logprobs: unknown;
    finish_reason: string | null;
  }[];
  usage?: unknown;
}

/** The JSON of each `data:` event, checking the framing: only data lines, [DONE] last if at all. */
function dataEvents(sse: string): { chunks: ChunkJson[]; done: boolean } {
  assert.ok(sse.endsWith("\n\n"), "the stream ends with a whole event");
  const events = sse.slice(0, -2).split("\n\n");
  const done = events.at(-1) === "data: [DONE]";
  const json = done ? events.slice(0, -1) : events;
  return {
    done,
    chunks: json.map((e) => {
      assert.ok(e.startsWith("data: ") && !e.includes("\n"), `one data line per event: ${e}`);
      return JSON.parse(e.slice("data: ".length)) as ChunkJson;
    }),
  };
}

interface ToolCallSnapshot {
  id?: string;
  type?: string;
  function?: { name: string; arguments: string };
}
interface MessageSnapshot {
  role?: string;
  content?: string;
  refusal?: string;
  reasoning_content?: string;
  tool_calls?: ToolCallSnapshot[];
}
interface ChoiceSnapshot {
  index: number;
  message: MessageSnapshot;
  logprobs: unknown;
  finish_reason: string | null;
}

/**
 * The chat.completion the openai SDK assembles from a stream: its ChatCompletionStream
 * (lib/ChatCompletionStream.js in openai 6.49.0, #accumulateChatCompletion then
 * finalizeChatCompletion) for the fields the door sends — content and refusal concatenated, tool
 * call arguments concatenated per index, the id, type and name taken when they come, and a chunk
 * without an id left out of the completion's own fields (id, created, usage). The SDK copies
 * fields it does not know, such as reasoning_content, so the last fragment would win there; the
 * clients that read reasoning_content (LangChain, the Vercel AI SDK) concatenate it, as here.
 */
function sdkCompletion(sse: string): Record<string, unknown> {
  const { chunks: events, done } = dataEvents(sse);
  assert.ok(done, "a completed stream ends with data: [DONE]");
  let snapshot: (Omit<ChunkJson, "choices"> & { choices: ChoiceSnapshot[] }) | undefined;
  for (const chunk of events) {
    const { choices, ...rest } = chunk;
    if (snapshot === undefined) snapshot = { ...rest, choices: [] };
    else if (chunk.id) Object.assign(snapshot, rest);
    for (const { index, delta, logprobs, finish_reason } of choices) {
      const choice = (snapshot.choices[index] ??= { index, message: {}, logprobs, finish_reason });
      if (finish_reason) choice.finish_reason = finish_reason;
      const m = choice.message;
      if (delta.role) m.role = delta.role;
      if (delta.content) m.content = (m.content ?? "") + delta.content;
      if (delta.refusal) m.refusal = (m.refusal ?? "") + delta.refusal;
      if (delta.reasoning_content)
        m.reasoning_content = (m.reasoning_content ?? "") + delta.reasoning_content;
      for (const t of delta.tool_calls ?? []) {
        const call = ((m.tool_calls ??= [])[t.index] ??= {});
        if (t.id) call.id = t.id;
        if (t.type) call.type = t.type;
        if (t.function) call.function ??= { name: t.function.name ?? "", arguments: "" };
        if (t.function?.name && call.function) call.function.name = t.function.name;
        if (t.function?.arguments && call.function) call.function.arguments += t.function.arguments;
      }
    }
  }
  assert.ok(snapshot !== undefined, "no chunks");
  const { id, choices, created, model, object: _object, ...rest } = snapshot;
  return {
    ...rest,
    id,
    choices: choices.map(({ index, message: m, logprobs, finish_reason }) => {
      // The SDK throws on these.
      assert.ok(finish_reason, `missing finish_reason for choice ${index}`);
      assert.ok(m.role, `missing role for choice ${index}`);
      const { role, content, refusal, tool_calls, ...others } = m;
      return {
        index,
        message: {
          ...others,
          role,
          content: content ?? null,
          refusal: refusal ?? null,
          ...(tool_calls === undefined
            ? {}
            : {
                tool_calls: tool_calls.map((c, i) => {
                  assert.ok(
                    c.type && c.function,
                    `missing choices[${index}].tool_calls[${i}] type or function`,
                  );
                  return { id: c.id, type: c.type, function: c.function };
                }),
              }),
        },
        logprobs,
        finish_reason,
      };
    }),
    created,
    model,
    object: "chat.completion",
  };
}

describe("OpenAI chat door: stream conformance", () => {
  // The usage chunk's `created` is the time it is written.
  before(() => {
    mock.method(Date, "now", () => f.now);
  });
  after(() => {
    mock.restoreAll();
  });

  describe("canonical chunks → the exact SSE text", () => {
    for (const s of f.streams) {
      it(s.name, () => {
        assert.equal(encode(chunks(s.chunks), s.includeUsage, fromJson(UsageSchema, s.usage)), s.sse);
      });
    }

    it(f.errorStream.name, () => {
      const enc = chatSseEncoder(f.alias, true);
      const err = new GatewayError(f.errorStream.error.code, f.errorStream.error.message);
      const sse = chunks(f.errorStream.chunks)
        .map((c) => enc.chunk(c))
        .join("");
      assert.equal(sse + enc.error(err), f.errorStream.sse);
      const { chunks: events, done } = dataEvents(f.errorStream.sse);
      assert.equal(done, false, "no [DONE] after a failure");
      assert.deepEqual(events.at(-1), err.toOpenAI());
    });
  });

  describe("the wire shape of every stream", () => {
    for (const s of f.streams) {
      it(`${s.name}: chunk JSON without usage, the usage chunk only with include_usage, [DONE] last`, () => {
        const { chunks: events, done } = dataEvents(s.sse);
        assert.ok(done);
        const usageChunk = s.includeUsage ? events.pop() : undefined;
        for (const e of events) {
          assert.equal(e.object, "chat.completion.chunk");
          assert.equal(e.model, f.alias);
          // A chunk's own usage (Anthropic's prompt side at the start) is not OpenAI's.
          assert.ok(!("usage" in e), "usage on a content chunk");
          assert.equal(e.choices.length, 1);
        }
        if (usageChunk !== undefined) {
          assert.deepEqual(usageChunk.choices, []);
          assert.deepEqual(usageChunk.usage, s.completion["usage"]);
        }
      });
    }
  });

  describe("the same answer split differently assembles (as the openai SDK does) to the same choices", () => {
    for (const s of f.streams) {
      const usage = fromJson(UsageSchema, s.usage);
      for (const [i, split] of [s.chunks, ...s.splits].entries()) {
        it(`${s.name}, ${i === 0 ? "as in the fixture" : `split ${i}`}`, () => {
          const completion = sdkCompletion(encode(chunks(split), s.includeUsage, usage));
          assert.deepEqual(completion["choices"], s.completion.choices);
        });
      }
    }
  });

  describe("the assembled stream is the non-streaming answer", () => {
    for (const s of f.streams) {
      it(`${s.name}: the message of chat.completion for the accumulated answer`, () => {
        const usage = fromJson(UsageSchema, s.usage);
        const unary = wire(chatResponseJson(accumulateChunks(chunks(s.chunks), usage), f.alias)) as {
          choices: unknown[];
          usage: unknown;
        };
        assert.deepEqual(unary.choices, s.completion.choices);
        if (s.includeUsage) assert.deepEqual(unary.usage, s.completion["usage"]);
      });

      it(`${s.name}: the whole chat.completion the openai SDK assembles`, () => {
        const sse = encode(chunks(s.chunks), s.includeUsage, fromJson(UsageSchema, s.usage));
        assert.deepEqual(sdkCompletion(sse), s.completion);
      });
    }
  });
});

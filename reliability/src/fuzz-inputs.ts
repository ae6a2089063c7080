// Inputs for fuzzing the doors, as fast-check arbitraries: for gRPC, random messages of a
// method's input type built from its descriptor, their encodings mutated byte by byte, and raw
// random bytes, with random metadata; for HTTP, random methods, paths, headers and bodies (JSON
// of any shape, door-like bodies with wrong types, mutated valid bodies, random bytes), each
// door (chat, embeddings, Anthropic messages and count_tokens, Responses) with bodies of its own.
import { create, toBinary, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { ScalarType } from "@bufbuild/protobuf";
import fc from "fast-check";

/** Words the gateway knows, so random requests often get past the first checks. */
const KNOWN = [
  "mock-gpt",
  "mock-claude",
  "mock-embed",
  "user",
  "system",
  "assistant",
  "tool",
  "text",
  "hello",
];

const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...KNOWN) },
  { weight: 2, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 48 }) },
);

function scalar(type: ScalarType): fc.Arbitrary<unknown> {
  switch (type) {
    case ScalarType.DOUBLE:
      return fc.double();
    case ScalarType.FLOAT:
      return fc.float();
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return fc.nat({ max: 2 ** 32 - 1 });
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.STRING:
      return text;
    case ScalarType.BYTES:
      return fc.uint8Array({ maxLength: 64 });
    default:
      return fc.integer();
  }
}

/** One value of a field (an element, for lists), nested messages to `depth` levels. */
function single(field: DescField, depth: number): fc.Arbitrary<unknown> {
  if (field.message !== undefined) return depth > 0 ? messageInit(field.message, depth - 1) : fc.constant({});
  if (field.enum !== undefined)
    return fc.oneof(fc.constantFrom(...field.enum.values.map((v) => v.number)), fc.integer());
  return scalar(field.scalar ?? ScalarType.STRING);
}

function value(field: DescField, depth: number): fc.Arbitrary<unknown> {
  if (field.fieldKind === "list") return fc.array(single(field, depth), { maxLength: 4 });
  if (field.fieldKind === "map") {
    const val =
      field.mapKind === "message"
        ? depth > 0
          ? messageInit(field.message, depth - 1)
          : fc.constant({})
        : scalar(field.scalar ?? ScalarType.STRING);
    return fc.dictionary(fc.string({ maxLength: 8 }), val, { maxKeys: 3 });
  }
  return single(field, depth);
}

/** A random init object for `desc` (protobuf-es `create` shape), oneofs included. */
export function messageInit(desc: DescMessage, depth = 3): fc.Arbitrary<Record<string, unknown>> {
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const member of desc.members) {
    parts[member.localName] =
      member.kind === "oneof"
        ? fc.oneof(
            ...member.fields.map((f) => single(f, depth).map((v) => ({ case: f.localName, value: v }))),
          )
        : value(member, depth);
  }
  return fc.record(parts, { requiredKeys: [] });
}

/** Random byte edits: flip, insert, delete, truncate. */
function mutate(bytes: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      bytes,
      fc.array(fc.tuple(fc.nat(), fc.constantFrom("flip", "insert", "delete", "cut"), fc.nat(255)), {
        minLength: 1,
        maxLength: 6,
      }),
    )
    .map(([b, edits]) => {
      const out = [...b];
      for (const [at, op, byte] of edits) {
        const i = out.length === 0 ? 0 : at % out.length;
        if (op === "flip") out[i] = byte;
        else if (op === "insert") out.splice(i, 0, byte);
        else if (op === "delete") out.splice(i, 1);
        else out.length = i;
      }
      return Uint8Array.from(out);
    });
}

/** Encodings of random messages of `desc` (those protobuf-es refuses to encode become empty). */
function encoded(desc: DescMessage): fc.Arbitrary<Uint8Array> {
  return messageInit(desc).map((init) => {
    try {
      return toBinary(desc, create(desc, init));
    } catch {
      return new Uint8Array();
    }
  });
}

export function grpcPayload(desc: DescMessage): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 4, arbitrary: encoded(desc) },
    { weight: 3, arbitrary: mutate(encoded(desc)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }) },
  );
}

/** Header-safe text (what an HTTP/2 or HTTP/1 client can put in a header at all). */
const headerText = fc.string({
  unit: fc.constantFrom(..." !\"#$%&'()*+,-./0123456789:;<=>?@ABCZ[\\]^_`abcxyz{|}~"),
  maxLength: 40,
});

export function metadataArb(key: string): fc.Arbitrary<[string, string][]> {
  return fc
    .record(
      {
        authorization: fc.oneof(fc.constant(`Bearer ${key}`), fc.constant(key), headerText),
        "x-api-key": fc.oneof(fc.constant(key), headerText),
        "x-request-id": fc.oneof(fc.uuid(), headerText, fc.constant("a".repeat(200))),
        traceparent: headerText,
        "x-extra": headerText,
      },
      { requiredKeys: [] },
    )
    .map((r) => Object.entries(r));
}

export interface HttpInput {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | Uint8Array | undefined;
}

const OPENAI_BODY = {
  model: "mock-gpt",
  messages: [{ role: "user", content: "hello" }],
  max_tokens: 8,
};

/** A valid Anthropic Messages request: cache breakpoints and a tool round trip. */
const ANTHROPIC_BODY = {
  model: "mock-claude",
  max_tokens: 8,
  system: [{ type: "text", text: "be brief", cache_control: { type: "ephemeral", ttl: "1h" } }],
  tools: [
    {
      name: "get_weather",
      input_schema: { type: "object", properties: { city: { type: "string" } } },
      cache_control: { type: "ephemeral" },
    },
  ],
  messages: [
    { role: "user", content: "weather?" },
    {
      role: "assistant",
      content: [{ type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Oslo" } }],
    },
    {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "toolu_1", content: "sunny" },
        { type: "text", text: "thanks", cache_control: { type: "ephemeral" } },
      ],
    },
  ],
};

/** A valid Responses request: instructions, a function call and its output. */
const RESPONSES_BODY = {
  model: "mock-gpt",
  instructions: "be brief",
  max_output_tokens: 16,
  tools: [
    {
      type: "function",
      name: "get_weather",
      parameters: { type: "object", properties: { city: { type: "string" } } },
    },
  ],
  input: [
    { role: "user", content: [{ type: "input_text", text: "weather?" }] },
    { type: "function_call", call_id: "call_1", name: "get_weather", arguments: '{"city":"Oslo"}' },
    { type: "function_call_output", call_id: "call_1", output: "sunny" },
  ],
};

/** The doors that take a JSON body, by path. */
const DOORS = [
  "/v1/chat/completions",
  "/v1/embeddings",
  "/v1/messages",
  "/v1/messages/count_tokens",
  "/v1/responses",
] as const;

/**
 * Mock controls in a prompt, now and then: upstream failures (honest 5xx, 429) and streams cut
 * midway, tool calls, reasoning and cache usage, so those paths of every door are fuzzed too.
 */
const directive = fc.oneof(
  { weight: 2, arbitrary: fc.constant("") },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      " [mock:error=500]",
      " [mock:error=529]",
      " [mock:error=429]",
      " [mock:cut=1]",
      " [mock:cut=2]",
      " [mock:cut=5]",
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(" [mock:tools=1]", " [mock:reasoning=3]", " [mock:cached=2,cache_write=3]"),
  },
);

/** `valid` (as JSON text) with a few characters replaced by random ones. */
function mutatedJson(valid: unknown): fc.Arbitrary<string> {
  const validText = JSON.stringify(valid);
  return fc
    .array(fc.tuple(fc.nat(validText.length), fc.string({ maxLength: 3 })), { minLength: 1, maxLength: 4 })
    .map((edits) => edits.reduce((t, [at, s]) => t.slice(0, at) + s + t.slice(at + 1), validText));
}

export function httpInput(key: string): fc.Arbitrary<HttpInput> {
  const anyJson = fc.jsonValue({ maxDepth: 4 });
  const content = fc
    .tuple(fc.oneof(text, fc.string({ unit: "binary", maxLength: 200 })), directive)
    .map(([t, d]) => t + d);
  const openAiLike = fc
    .record(
      {
        model: fc.oneof(text, anyJson),
        messages: fc.oneof(
          fc.array(
            fc.record(
              {
                role: fc.oneof(text, anyJson),
                content: fc.oneof(
                  text,
                  fc.array(
                    fc.record(
                      {
                        type: fc.constantFrom("text", "image_url", "input_audio", "file", "x"),
                        text,
                        image_url: fc.record({ url: text }),
                      },
                      { requiredKeys: [] },
                    ),
                    { maxLength: 3 },
                  ),
                  anyJson,
                ),
                tool_call_id: text,
                tool_calls: anyJson,
              },
              { requiredKeys: [] },
            ),
            { maxLength: 4 },
          ),
          anyJson,
        ),
        input: fc.oneof(text, fc.array(text, { maxLength: 3 }), anyJson),
        stream: fc.oneof(fc.boolean(), anyJson),
        max_tokens: fc.oneof(fc.integer(), fc.double(), anyJson),
        temperature: fc.oneof(fc.double(), anyJson),
        stop: fc.oneof(text, fc.array(text, { maxLength: 6 }), anyJson),
        tools: anyJson,
        tool_choice: anyJson,
        response_format: anyJson,
        n: fc.oneof(fc.integer(), anyJson),
      },
      { requiredKeys: [] },
    )
    .map((b) => JSON.stringify(b));
  // A valid body with one or two fields set to random values: most get past validation.
  const nearlyValid = fc
    .record({
      model: fc.constantFrom("mock-gpt", "mock-claude", "mock-gemini", "mock-embed"),
      content,
      stream: fc.boolean(),
      overrides: fc.dictionary(
        fc.constantFrom(
          "max_tokens",
          "temperature",
          "top_p",
          "stop",
          "n",
          "seed",
          "user",
          "tools",
          "tool_choice",
          "response_format",
          "stream_options",
          "metadata",
          "input",
        ),
        anyJson,
        { maxKeys: 2 },
      ),
    })
    .map(({ model, content, stream, overrides }) =>
      JSON.stringify({
        model,
        messages: [{ role: "user", content }],
        input: content,
        stream,
        max_tokens: 8,
        ...overrides,
      }),
    );
  // Anthropic-like bodies: the Messages fields with random values and blocks of every type.
  const block = fc.record(
    {
      type: fc.constantFrom("text", "image", "document", "tool_use", "tool_result", "thinking", "x"),
      text,
      source: anyJson,
      id: text,
      name: text,
      input: anyJson,
      tool_use_id: text,
      content: fc.oneof(text, anyJson),
      thinking: text,
      signature: text,
      cache_control: fc.oneof(
        fc.constant({ type: "ephemeral" }),
        fc.constant({ type: "ephemeral", ttl: "1h" }),
        anyJson,
      ),
    },
    { requiredKeys: ["type"] },
  );
  const anthropicLike = fc
    .record(
      {
        model: fc.oneof(text, anyJson),
        max_tokens: fc.oneof(fc.integer(), fc.double(), anyJson),
        messages: fc.oneof(
          fc.array(
            fc.record(
              {
                role: fc.oneof(fc.constantFrom("user", "assistant"), text),
                content: fc.oneof(text, fc.array(block, { maxLength: 3 }), anyJson),
              },
              { requiredKeys: [] },
            ),
            { maxLength: 4 },
          ),
          anyJson,
        ),
        system: fc.oneof(text, fc.array(block, { maxLength: 2 }), anyJson),
        stream: fc.oneof(fc.boolean(), anyJson),
        tools: anyJson,
        tool_choice: anyJson,
        thinking: anyJson,
        stop_sequences: fc.oneof(fc.array(text, { maxLength: 4 }), anyJson),
      },
      { requiredKeys: [] },
    )
    .map((b) => JSON.stringify(b));
  /**
   * One or two of `fields` set to a plausible value (one the door takes, most of the time) or to
   * random JSON; none at all half the time, so most bodies get through validation.
   */
  const overridesOf = (fields: Record<string, readonly unknown[]>): fc.Arbitrary<Record<string, unknown>> =>
    fc.oneof(
      fc.constant({}),
      fc
        .subarray(Object.keys(fields), { minLength: 1, maxLength: 2 })
        .chain((keys) =>
          fc.record(
            Object.fromEntries(
              keys.map((k) => [
                k,
                fc.oneof(
                  { weight: 2, arbitrary: fc.constantFrom(...(fields[k] ?? [null])) },
                  { weight: 1, arbitrary: anyJson },
                ),
              ]),
            ),
          ),
        ),
    );
  const schema = { type: "object", properties: { a: { type: "string" } }, required: ["a"] };
  // The seed request with the prompt as its last turn: alone, or after the tool round trip.
  const nearlyValidAnthropic = fc
    .record({
      model: fc.constantFrom("mock-claude", "mock-gpt", "mock-gemini"),
      content,
      roundTrip: fc.boolean(),
      stream: fc.boolean(),
      overrides: overridesOf({
        max_tokens: [1, 4096],
        system: ["be brief", [{ type: "text", text: "x", cache_control: { type: "ephemeral", ttl: "5m" } }]],
        temperature: [0, 1],
        top_p: [0.5],
        top_k: [5],
        stop_sequences: [["reply"], []],
        tools: [[], [{ name: "f", input_schema: { type: "object" }, strict: true }]],
        tool_choice: [
          { type: "any" },
          { type: "tool", name: "get_weather" },
          { type: "none" },
          { type: "auto", disable_parallel_tool_use: true },
        ],
        thinking: [{ type: "enabled", budget_tokens: 2048 }, { type: "adaptive" }, { type: "disabled" }],
        metadata: [{ user_id: "u-1" }],
        output_config: [{ effort: "max" }, { format: { type: "json_schema", schema } }],
        output_format: [{ type: "json_schema", schema }],
        service_tier: ["auto", "standard_only"],
      }),
    })
    .map(({ model, content: c, roundTrip, stream, overrides }) => {
      const [ask, call, result] = ANTHROPIC_BODY.messages;
      const last = roundTrip
        ? { role: "user", content: [result!.content[0], { type: "text", text: c }] }
        : { role: "user", content: c };
      return JSON.stringify({
        ...ANTHROPIC_BODY,
        model,
        messages: roundTrip ? [ask, call, last] : [last],
        stream,
        ...overrides,
      });
    });
  const nearlyValidResponses = fc
    .record({
      model: fc.constantFrom("mock-gpt", "mock-claude", "mock-gemini"),
      content,
      roundTrip: fc.boolean(),
      stream: fc.boolean(),
      overrides: overridesOf({
        instructions: ["be brief", ""],
        tools: [[]],
        tool_choice: ["required", "none", { type: "function", name: "get_weather" }],
        text: [
          { format: { type: "json_schema", name: "out", schema, strict: true } },
          { format: { type: "json_object" } },
        ],
        reasoning: [{ effort: "low" }, { effort: "high", summary: "auto" }],
        max_output_tokens: [1, 4096],
        temperature: [0, 2],
        top_p: [0.5],
        metadata: [{ k: "v" }],
        parallel_tool_calls: [false],
        truncation: ["auto", "disabled"],
        store: [false],
        include: [["reasoning.encrypted_content"]],
      }),
    })
    .map(({ model, content: c, roundTrip, stream, overrides }) =>
      JSON.stringify({
        ...RESPONSES_BODY,
        model,
        input: roundTrip ? [...RESPONSES_BODY.input, { role: "user", content: c }] : c,
        stream,
        ...overrides,
      }),
    );
  const anyBody = anyJson.map((v) => JSON.stringify(v) ?? "");
  const bytes = fc.uint8Array({ maxLength: 256 });
  const none = fc.constant(undefined);
  const bodyFor = (path: string): fc.Arbitrary<string | Uint8Array | undefined> => {
    if (path.startsWith("/v1/messages"))
      return fc.oneof(
        { weight: 6, arbitrary: nearlyValidAnthropic },
        { weight: 3, arbitrary: anthropicLike },
        { weight: 2, arbitrary: mutatedJson(ANTHROPIC_BODY) },
        { weight: 1, arbitrary: openAiLike },
        { weight: 1, arbitrary: anyBody },
        { weight: 1, arbitrary: bytes },
        { weight: 1, arbitrary: none },
      );
    if (path === "/v1/responses")
      return fc.oneof(
        { weight: 6, arbitrary: nearlyValidResponses },
        { weight: 3, arbitrary: openAiLike },
        { weight: 2, arbitrary: mutatedJson(RESPONSES_BODY) },
        { weight: 2, arbitrary: anyBody },
        { weight: 1, arbitrary: bytes },
        { weight: 1, arbitrary: none },
      );
    return fc.oneof(
      { weight: 4, arbitrary: nearlyValid },
      { weight: 3, arbitrary: openAiLike },
      { weight: 2, arbitrary: mutatedJson(OPENAI_BODY) },
      { weight: 2, arbitrary: anyBody },
      { weight: 1, arbitrary: bytes },
      { weight: 1, arbitrary: none },
    );
  };
  const path = fc.oneof(
    // The inputs are split across the doors, not multiplied by them.
    { weight: 6, arbitrary: fc.constantFrom(...DOORS) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "/v1/models",
        "/v1/models/mock-gpt",
        "/v1/models/%ff",
        "/",
        "/v1/chat/completions/?x=%zz",
        "/v1/messages/",
        "/v1//models",
      ),
    },
    { weight: 1, arbitrary: headerText.map((s) => `/v1/${encodeURIComponent(s)}`) },
  );
  const headers = fc
    .record(
      {
        // Empty now and then, so the key in x-api-key counts.
        authorization: fc.oneof(
          { weight: 5, arbitrary: fc.constant(`Bearer ${key}`) },
          { weight: 1, arbitrary: headerText },
          { weight: 1, arbitrary: fc.constant("") },
        ),
        // Anthropic's clients send the key here (the gateway takes either, authorization first).
        "x-api-key": fc.oneof(
          { weight: 3, arbitrary: fc.constant(key) },
          { weight: 1, arbitrary: headerText },
        ),
        "content-type": fc.constantFrom("application/json", "text/plain", "application/json; charset=utf-8"),
        // Mostly valid, so most inputs reach the door's body parsing.
        "x-request-id": fc.oneof({ weight: 4, arbitrary: fc.uuid() }, { weight: 1, arbitrary: headerText }),
        "x-request-timeout": fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom("", "5000", "99999999999") },
          { weight: 1, arbitrary: fc.constantFrom("1", "-1", "1e3", "abc") },
          { weight: 1, arbitrary: headerText },
        ),
        // Passed through to an Anthropic upstream (and, on /v1/models, asks for Anthropic's shape).
        "anthropic-version": fc.oneof(fc.constant("2023-06-01"), headerText),
        "anthropic-beta": fc.oneof(
          fc.constant("prompt-caching-2024-07-31,extended-cache-ttl-2025-04-11"),
          headerText,
        ),
      },
      { requiredKeys: ["authorization"] },
    )
    .map((h) => h as Record<string, string>);
  const method = fc.oneof(
    { weight: 6, arbitrary: fc.constant("POST") },
    { weight: 1, arbitrary: fc.constantFrom("GET", "PUT", "DELETE", "PATCH", "OPTIONS") },
  );
  return path.chain((p) => fc.record({ method, path: fc.constant(p), headers, body: bodyFor(p) }));
}

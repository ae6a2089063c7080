// Inputs for fuzzing the doors, as fast-check arbitraries: for gRPC, random messages of a
// method's input type built from its descriptor, their encodings mutated byte by byte, and raw
// random bytes, with random metadata; for HTTP, random methods, paths, headers and bodies (JSON
// of any shape, OpenAI-like bodies with wrong types, mutated valid bodies, random bytes).
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

export function httpInput(key: string): fc.Arbitrary<HttpInput> {
  const anyJson = fc.jsonValue({ maxDepth: 4 });
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
      content: fc.oneof(text, fc.string({ unit: "binary", maxLength: 200 })),
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
  const validText = JSON.stringify(OPENAI_BODY);
  const mutatedText = fc
    .array(fc.tuple(fc.nat(validText.length), fc.string({ maxLength: 3 })), { minLength: 1, maxLength: 4 })
    .map((edits) => edits.reduce((t, [at, s]) => t.slice(0, at) + s + t.slice(at + 1), validText));
  return fc.record({
    method: fc.oneof(
      { weight: 6, arbitrary: fc.constant("POST") },
      { weight: 1, arbitrary: fc.constantFrom("GET", "PUT", "DELETE", "PATCH", "OPTIONS") },
    ),
    path: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom("/v1/chat/completions", "/v1/embeddings") },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          "/v1/models",
          "/v1/models/mock-gpt",
          "/v1/models/%ff",
          "/",
          "/v1/chat/completions/?x=%zz",
          "/v1//models",
        ),
      },
      { weight: 1, arbitrary: headerText.map((s) => `/v1/${encodeURIComponent(s)}`) },
    ),
    headers: fc
      .record(
        {
          authorization: fc.oneof(
            { weight: 5, arbitrary: fc.constant(`Bearer ${key}`) },
            { weight: 1, arbitrary: headerText },
          ),
          "content-type": fc.constantFrom(
            "application/json",
            "text/plain",
            "application/json; charset=utf-8",
          ),
          "x-request-id": fc.oneof(fc.uuid(), headerText),
          "x-request-timeout": fc.oneof(
            fc.constantFrom("", "1", "5000", "-1", "1e3", "abc", "99999999999"),
            headerText,
          ),
        },
        { requiredKeys: ["authorization"] },
      )
      .map((h) => h as Record<string, string>),
    body: fc.oneof(
      { weight: 4, arbitrary: nearlyValid },
      { weight: 3, arbitrary: openAiLike },
      { weight: 2, arbitrary: mutatedText },
      { weight: 2, arbitrary: anyJson.map((v) => JSON.stringify(v) ?? "") },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }) },
      { weight: 1, arbitrary: fc.constant(undefined) },
    ),
  });
}

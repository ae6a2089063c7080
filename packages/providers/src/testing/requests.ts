// Canonical requests shared by the adapter specs.
import { create } from "@bufbuild/protobuf";
import { ChatRequestSchema, type ChatRequest } from "@switchyard/proto";
import type { UpstreamTarget } from "../adapter.js";

export const WEATHER_PARAMS = {
  type: "object",
  properties: { city: { type: "string" }, unit: { type: "string", enum: ["c", "f"] } },
  required: ["city"],
  additionalProperties: false,
};

export const PNG_DATA_URL = "data:image/png;base64,iVBORw0KGgo=";

export function target(overrides: Partial<UpstreamTarget> = {}): UpstreamTarget {
  return {
    baseUrl: "http://127.0.0.1:9700/x/v1",
    upstreamModel: "model-1",
    apiKey: "sk-test",
    secretKey: "",
    region: "",
    apiVersion: "",
    ...overrides,
  };
}

/** A conversation with a system prompt, an image, a tool call, its result and tools offered. */
export function toolConversation(): ChatRequest {
  return create(ChatRequestSchema, {
    model: "alias",
    messages: [
      { role: "system", content: [{ part: { case: "text", value: "You are terse." } }], contentIsText: true },
      {
        role: "user",
        content: [
          { part: { case: "text", value: "Weather where this photo was taken?" } },
          { part: { case: "imageUrl", value: { url: PNG_DATA_URL, detail: "low" } } },
          { part: { case: "imageUrl", value: { url: "https://example.com/photo.jpg" } } },
        ],
      },
      {
        role: "assistant",
        content: [],
        toolCalls: [
          {
            id: "call_abc123",
            type: "function",
            functionName: "get_weather",
            argumentsJson: '{"city":"Paris"}',
          },
        ],
      },
      {
        role: "tool",
        toolCallId: "call_abc123",
        content: [{ part: { case: "text", value: '{"temp_c":21}' } }],
        contentIsText: true,
      },
    ],
    tools: [
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "Current weather",
          parametersJson: JSON.stringify(WEATHER_PARAMS),
        },
      },
    ],
    toolChoice: { mode: "required" },
    parallelToolCalls: false,
    maxTokens: 256,
    temperature: 0.2,
    stop: ["END"],
  });
}

export function jsonModeRequest(type: "json_object" | "json_schema"): ChatRequest {
  return create(ChatRequestSchema, {
    messages: [
      { role: "user", content: [{ part: { case: "text", value: "Give me a city." } }], contentIsText: true },
    ],
    responseFormat:
      type === "json_object"
        ? { type }
        : {
            type,
            jsonSchemaName: "city",
            jsonSchema: JSON.stringify({ type: "object", properties: { name: { type: "string" } } }),
            strict: true,
          },
  });
}

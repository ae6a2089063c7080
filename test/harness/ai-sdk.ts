// The Vercel AI SDK's default OpenAI provider pointed at the gateway, and the two-step tool loop
// the Responses-door tests run through it (a weather tool answering `<city>: 18°C`).
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, jsonSchema, tool } from "ai";

export const aiProvider = (baseURL: string, apiKey: string) => createOpenAI({ baseURL, apiKey });

/** generateText with a get_weather tool, stopping after the step that uses its result. */
export function weatherToolLoop(model: Parameters<typeof generateText>[0]["model"], prompt: string) {
  return generateText({
    model,
    prompt,
    tools: {
      get_weather: tool({
        description: "Weather for a city",
        inputSchema: jsonSchema<{ city: string }>({
          type: "object",
          properties: { city: { type: "string" } },
          required: ["city"],
        }),
        execute: ({ city }) => Promise.resolve(`${city}: 18°C`),
      }),
    },
    stopWhen: ({ steps }) => steps.length >= 2,
    maxRetries: 0,
  });
}

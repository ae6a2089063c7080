// Helpers for the specs: start a mock, call it with fetch, read SSE.
import { after, before } from "node:test";
import { startMockProvider, type RunningMockProvider, type StartMockProviderOptions } from "./index.js";

/** Starts a mock on a free port before the tests of the file and closes it after. */
export function useMock(opts: StartMockProviderOptions = {}): { mock: RunningMockProvider } {
  const holder = {} as { mock: RunningMockProvider };
  before(async () => {
    holder.mock = await startMockProvider(opts);
  });
  after(async () => {
    await holder.mock.close();
  });
  return holder;
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  init: RequestInit = {},
): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
    ...init,
  });
}

export interface SseEvent {
  event: string | undefined;
  data: string;
}

/** Parses an SSE body (LF or CRLF line ends) into events. */
export function parseSse(text: string): SseEvent[] {
  const out: SseEvent[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    if (block.trim() === "") continue;
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    }
    out.push({ event, data: data.join("\n") });
  }
  return out;
}

export function jsonEvents(text: string): Record<string, unknown>[] {
  return parseSse(text)
    .filter((e) => e.data !== "[DONE]")
    .map((e) => JSON.parse(e.data) as Record<string, unknown>);
}

export const weatherTool = {
  name: "get_weather",
  description: "Weather for a city",
  schema: {
    type: "object",
    properties: {
      city: { type: "string" },
      days: { type: "integer" },
      unit: { type: "string", enum: ["c", "f"] },
    },
    required: ["city", "unit"],
  },
};

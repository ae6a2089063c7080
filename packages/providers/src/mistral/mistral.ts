// Mistral La Plateforme: OpenAI's protocol with these differences: tool_choice "required" is
// "any", max_tokens (not max_completion_tokens), random_seed (not seed), 9-character alphanumeric
// tool call ids, image_url as a plain string, no stream_options (usage arrives on the last chunk
// anyway), no user/logprobs/reasoning_effort fields.
import { GatewayError } from "@switchyard/common";
import type { ProviderAdapter } from "../adapter.js";
import { joinUrl } from "../shared/url.js";
import { createOpenAiAdapter } from "../openai/openai-adapter.js";
import { arr, isObject, obj, str, type JsonObject } from "../shared/json.js";
import { mistralToolCallId } from "./tool-call-id.js";

const UNSUPPORTED = ["stream_options", "user", "logprobs", "top_logprobs", "reasoning_effort"];

function adjustContent(content: unknown, field: string): unknown {
  if (!Array.isArray(content)) return content;
  return (content as unknown[]).map((p, i) => {
    const part = obj(p);
    const type = str(part["type"]);
    if (type === "image_url") return { type, image_url: str(obj(part["image_url"])["url"]) };
    if (type !== "text") {
      throw new GatewayError("invalid_argument", `the Mistral adapter does not map ${type} content parts`, {
        field: `${field}.content[${i}]`,
      });
    }
    return part;
  });
}

function adjustMessage(value: unknown, i: number): unknown {
  if (!isObject(value)) return value;
  const m: JsonObject = { ...value, content: adjustContent(value["content"], `messages[${i}]`) };
  if (typeof m["tool_call_id"] === "string") m["tool_call_id"] = mistralToolCallId(m["tool_call_id"]);
  if (Array.isArray(m["tool_calls"])) {
    m["tool_calls"] = arr(m["tool_calls"]).map((c) => ({
      ...obj(c),
      id: mistralToolCallId(str(obj(c)["id"])),
    }));
  }
  return m;
}

export const mistral: ProviderAdapter = createOpenAiAdapter({
  id: "mistral",
  displayName: "Mistral",
  chatUrl: (t) => joinUrl(t.baseUrl, "chat/completions"),
  embeddingsUrl: (t) => joinUrl(t.baseUrl, "embeddings"),
  headers: (t) => ({ authorization: `Bearer ${t.apiKey}` }),
  sendsModel: true,
  maxTokensField: "max_tokens",
  streamUsage: false,
  lenient: false,
  adjustChatBody(body) {
    const out: JsonObject = { ...body, messages: arr(body["messages"]).map(adjustMessage) };
    for (const key of UNSUPPORTED) delete out[key];
    if (out["tool_choice"] === "required") out["tool_choice"] = "any";
    if (out["seed"] !== undefined) {
      out["random_seed"] = out["seed"];
      delete out["seed"];
    }
    return out;
  },
  embeddings: {
    dimensionsField: "output_dimension",
    user: false,
    adjustBody(body) {
      const out = { ...body };
      delete out["encoding_format"];
      return out;
    },
  },
});

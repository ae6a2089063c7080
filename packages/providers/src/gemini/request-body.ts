// Canonical ChatRequest → Gemini generateContent body.
import { GatewayError } from "@switchyard/common";
import type { ChatRequest, ContentPart, Message } from "@switchyard/proto";
import { mediaTypeFromUrl, parseDataUrl } from "../shared/data-url.js";
import { argumentsObject, isObject, parseClientJson, type JsonObject } from "../shared/json.js";

/** reasoning_effort → thinkingBudget (tokens). */
// "none" is a budget of 0 (Gemini 2.5 thinks by default); 32768 is the largest Gemini takes.
const THINKING_BUDGET: Record<string, number> = {
  none: 0,
  minimal: 1024,
  low: 1024,
  medium: 8192,
  high: 24576,
  xhigh: 32768,
  max: 32768,
};

type Part = JsonObject;
type Content = { role: "user" | "model"; parts: Part[] };

function part(p: ContentPart, field: string): Part {
  switch (p.part.case) {
    case "text":
      return { text: p.part.value };
    case "imageUrl": {
      const url = p.part.value.url;
      const data = parseDataUrl(url);
      if (data !== undefined) return { inlineData: { mimeType: data.mediaType, data: data.base64 } };
      const mimeType = mediaTypeFromUrl(url);
      return { fileData: mimeType === "" ? { fileUri: url } : { mimeType, fileUri: url } };
    }
    case "inputAudio":
      return { inlineData: { mimeType: `audio/${p.part.value.format || "wav"}`, data: p.part.value.data } };
    case "file": {
      const file = p.part.value;
      const data = parseDataUrl(file.fileData);
      if (data !== undefined) return { inlineData: { mimeType: data.mediaType, data: data.base64 } };
      if (file.fileId !== "") {
        const mimeType = mediaTypeFromUrl(file.filename || file.fileId);
        return { fileData: mimeType === "" ? { fileUri: file.fileId } : { mimeType, fileUri: file.fileId } };
      }
      throw new GatewayError("invalid_argument", `${field} has neither file_data nor file_id`, { field });
    }
    case undefined:
      throw new GatewayError("invalid_argument", `${field} is an empty content part`, { field });
  }
}

function parts(m: Message, field: string): Part[] {
  return m.content
    .filter((p) => !(p.part.case === "text" && p.part.value === ""))
    .map((p, i) => part(p, `${field}.content[${i}]`));
}

function textOf(m: Message, field: string): string {
  return m.content
    .map((p, i) => {
      if (p.part.case !== "text")
        throw new GatewayError("invalid_argument", `${m.role} messages take text only`, {
          field: `${field}.content[${i}]`,
        });
      return p.part.value;
    })
    .join("");
}

/** A function response must be a JSON object: objects pass as they are, anything else goes under "output". */
function functionResponse(text: string): JsonObject {
  try {
    const parsed = JSON.parse(text) as unknown;
    return isObject(parsed) ? parsed : { output: parsed };
  } catch {
    return { output: text };
  }
}

function append(contents: Content[], role: Content["role"], newParts: Part[]): void {
  const last = contents[contents.length - 1];
  if (last !== undefined && last.role === role) last.parts.push(...newParts);
  else contents.push({ role, parts: newParts });
}

function toolConfig(req: ChatRequest): JsonObject | undefined {
  const choice = req.toolChoice;
  if (choice === undefined || choice.mode === "") return undefined;
  if (choice.mode === "function")
    return { functionCallingConfig: { mode: "ANY", allowedFunctionNames: [choice.functionName] } };
  const mode = { auto: "AUTO", required: "ANY", none: "NONE" }[choice.mode];
  if (mode === undefined)
    throw new GatewayError("invalid_argument", `unknown tool_choice "${choice.mode}"`, {
      field: "tool_choice",
    });
  return { functionCallingConfig: { mode } };
}

function generationConfig(req: ChatRequest): JsonObject {
  const g: JsonObject = {};
  if (req.temperature !== undefined) g["temperature"] = req.temperature;
  if (req.topP !== undefined) g["topP"] = req.topP;
  if (req.topK !== undefined) g["topK"] = req.topK;
  if (req.maxTokens !== undefined) g["maxOutputTokens"] = req.maxTokens;
  if (req.stop.length > 0) g["stopSequences"] = req.stop;
  if (req.n !== undefined) g["candidateCount"] = req.n;
  if (req.seed !== undefined) g["seed"] = Number(req.seed);
  if (req.presencePenalty !== undefined) g["presencePenalty"] = req.presencePenalty;
  if (req.frequencyPenalty !== undefined) g["frequencyPenalty"] = req.frequencyPenalty;
  if (req.logprobs === true) {
    g["responseLogprobs"] = true;
    if (req.topLogprobs !== undefined) g["logprobs"] = req.topLogprobs;
  }
  const rf = req.responseFormat;
  if (rf !== undefined && (rf.type === "json_object" || rf.type === "json_schema")) {
    g["responseMimeType"] = "application/json";
    if (rf.type === "json_schema" && rf.jsonSchema !== "") {
      // responseJsonSchema takes standard JSON Schema; responseSchema only an OpenAPI subset.
      g["responseJsonSchema"] = parseClientJson(rf.jsonSchema, "response_format.json_schema.schema");
    }
  }
  // An explicit budget wins over the effort; 0 turns thinking off where the model allows it.
  const budget = req.thinkingBudgetTokens ?? THINKING_BUDGET[req.reasoningEffort];
  if (budget === 0) g["thinkingConfig"] = { thinkingBudget: 0 };
  else if (budget !== undefined) g["thinkingConfig"] = { thinkingBudget: budget, includeThoughts: true };
  return g;
}

export function toGeminiBody(req: ChatRequest): JsonObject {
  const system: Part[] = [];
  const contents: Content[] = [];
  const callNames = new Map<string, string>();
  req.messages.forEach((m, i) => {
    const field = `messages[${i}]`;
    switch (m.role) {
      case "system":
      case "developer": {
        const text = textOf(m, field);
        if (text !== "") system.push({ text });
        break;
      }
      case "user":
        append(contents, "user", parts(m, field));
        break;
      case "assistant": {
        const out = parts(m, field);
        m.toolCalls.forEach((c, j) => {
          callNames.set(c.id, c.functionName);
          out.push({
            functionCall: {
              name: c.functionName,
              args: argumentsObject(c.argumentsJson, `${field}.tool_calls[${j}].function.arguments`),
            },
          });
        });
        append(contents, "model", out);
        break;
      }
      case "tool": {
        const name = callNames.get(m.toolCallId);
        if (name === undefined) {
          throw new GatewayError(
            "invalid_argument",
            `tool message answers unknown tool_call_id "${m.toolCallId}"`,
            { field: `${field}.tool_call_id` },
          );
        }
        append(contents, "user", [
          { functionResponse: { name, response: functionResponse(textOf(m, field)) } },
        ]);
        break;
      }
      default:
        throw new GatewayError("invalid_argument", `unknown role "${m.role}"`, { field: `${field}.role` });
    }
  });

  const body: JsonObject = { contents };
  if (system.length > 0) body["systemInstruction"] = { parts: system };
  if (req.tools.length > 0) {
    const declarations = req.tools.map((t, i) => {
      const fn = t.function;
      if (fn === undefined)
        throw new GatewayError("invalid_argument", `tools[${i}].function is required`, {
          field: `tools[${i}].function`,
        });
      const d: JsonObject = { name: fn.name };
      if (fn.description !== "") d["description"] = fn.description;
      // parametersJsonSchema takes standard JSON Schema (additionalProperties, $defs, ...).
      if (fn.parametersJson !== "")
        d["parametersJsonSchema"] = parseClientJson(fn.parametersJson, `tools[${i}].function.parameters`);
      return d;
    });
    body["tools"] = [{ functionDeclarations: declarations }];
    const config = toolConfig(req);
    if (config !== undefined) body["toolConfig"] = config;
  }
  const g = generationConfig(req);
  if (Object.keys(g).length > 0) body["generationConfig"] = g;
  return body;
}

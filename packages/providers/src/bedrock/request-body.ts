// Canonical ChatRequest → Bedrock Converse body.
import { GatewayError } from "@switchyard/common";
import type { ChatRequest, ContentPart, Message } from "@switchyard/proto";
import { parseDataUrl } from "../shared/data-url.js";
import { jsonInstruction } from "../shared/json-instruction.js";
import { claudeThinking, claudeThinkingBudget } from "../shared/claude-thinking.js";
import { argumentsObject, parseClientJson, type JsonObject } from "../shared/json.js";

const DEFAULT_MAX_TOKENS = 4096;

const IMAGE_FORMATS: Record<string, string> = {
  "image/png": "png",
  "image/jpeg": "jpeg",
  "image/jpg": "jpeg",
  "image/gif": "gif",
  "image/webp": "webp",
};
const DOCUMENT_FORMATS: Record<string, string> = {
  "application/pdf": "pdf",
  "text/csv": "csv",
  "application/msword": "doc",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
  "application/vnd.ms-excel": "xls",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
  "text/html": "html",
  "text/plain": "txt",
  "text/markdown": "md",
};

type Block = JsonObject;
type Turn = { role: "user" | "assistant"; content: Block[] };

function block(p: ContentPart, field: string, position: number): Block {
  switch (p.part.case) {
    case "text":
      return { text: p.part.value };
    case "imageUrl": {
      const url = p.part.value.url;
      if (url.startsWith("s3://"))
        return {
          image: { format: formatFromName(url, IMAGE_FORMATS, "png"), source: { s3Location: { uri: url } } },
        };
      const data = parseDataUrl(url);
      const format = data === undefined ? undefined : IMAGE_FORMATS[data.mediaType];
      if (data === undefined || format === undefined) {
        throw new GatewayError(
          "invalid_argument",
          "Bedrock takes images as base64 data URLs (png, jpeg, gif, webp) or s3:// URIs",
          { field },
        );
      }
      return { image: { format, source: { bytes: data.base64 } } };
    }
    case "file": {
      const data = parseDataUrl(p.part.value.fileData);
      const format = data === undefined ? undefined : DOCUMENT_FORMATS[data.mediaType];
      if (data === undefined || format === undefined) {
        throw new GatewayError(
          "invalid_argument",
          "Bedrock takes files as base64 data URLs of a supported document type",
          { field },
        );
      }
      // Document names allow letters, digits, spaces, hyphens, parentheses and brackets only.
      const name = (
        p.part.value.filename
          .replace(/\.[^.]*$/, "")
          .replace(/[^a-zA-Z0-9 ()[\]-]/g, " ")
          .trim() || `document-${position}`
      ).slice(0, 200);
      return { document: { format, name, source: { bytes: data.base64 } } };
    }
    case "inputAudio":
      throw new GatewayError("invalid_argument", "Bedrock Converse does not take audio input", { field });
    case undefined:
      throw new GatewayError("invalid_argument", `${field} is an empty content part`, { field });
  }
}

function formatFromName(name: string, formats: Record<string, string>, fallback: string): string {
  const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase() ?? "";
  const known = Object.values(formats);
  if (ext === "jpg") return "jpeg";
  return known.includes(ext) ? ext : fallback;
}

function blocks(m: Message, field: string): Block[] {
  return m.content
    .filter((p) => !(p.part.case === "text" && p.part.value === ""))
    .map((p, i) => block(p, `${field}.content[${i}]`, i));
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

function append(turns: Turn[], role: Turn["role"], content: Block[]): void {
  const last = turns[turns.length - 1];
  if (last !== undefined && last.role === role) last.content.push(...content);
  else turns.push({ role, content });
}

function toolChoice(req: ChatRequest): Block | undefined {
  switch (req.toolChoice?.mode ?? "") {
    case "auto":
      return { auto: {} };
    case "required":
      return { any: {} };
    case "function":
      return { tool: { name: req.toolChoice?.functionName ?? "" } };
    default: // "none" has no Converse equivalent; see README
      return undefined;
  }
}

export function toBedrockBody(req: ChatRequest, modelId: string): JsonObject {
  const claude = modelId.includes("anthropic.claude");
  const system: Block[] = [];
  const turns: Turn[] = [];
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
        append(turns, "user", blocks(m, field));
        break;
      case "assistant": {
        const out = blocks(m, field);
        // Claude takes its signed thinking back (Anthropic signatures hold across its platforms),
        // and its redacted thinking (bytes, base64 in JSON: the canonical string as it is);
        // unsigned reasoning cannot be verified and is dropped.
        if (claude) {
          const reasoning: typeof out = [];
          if (m.reasoningSignature !== "")
            reasoning.push({
              reasoningContent: {
                reasoningText: { text: m.reasoningContent, signature: m.reasoningSignature },
              },
            });
          for (const data of m.redactedReasoning)
            reasoning.push({ reasoningContent: { redactedContent: data } });
          out.unshift(...reasoning);
        }
        m.toolCalls.forEach((c, j) => {
          out.push({
            toolUse: {
              toolUseId: c.id,
              name: c.functionName,
              input: argumentsObject(c.argumentsJson, `${field}.tool_calls[${j}].function.arguments`),
            },
          });
        });
        append(turns, "assistant", out);
        break;
      }
      case "tool":
        append(turns, "user", [
          { toolResult: { toolUseId: m.toolCallId, content: [{ text: textOf(m, field) }] } },
        ]);
        break;
      default:
        throw new GatewayError("invalid_argument", `unknown role "${m.role}"`, { field: `${field}.role` });
    }
  });

  const rf = req.responseFormat;
  if (rf !== undefined && (rf.type === "json_object" || rf.type === "json_schema")) {
    const schema =
      rf.type === "json_schema" && rf.jsonSchema !== ""
        ? parseClientJson(rf.jsonSchema, "response_format.json_schema.schema")
        : undefined;
    system.push({ text: jsonInstruction(schema) });
  }

  const body: JsonObject = { messages: turns };
  if (system.length > 0) body["system"] = system;

  const inference: JsonObject = {};
  // Claude's thinking, sent as additionalModelRequestFields.
  const budget = claude ? claudeThinkingBudget(req) : undefined;
  if (budget !== undefined) {
    const maxTokens = req.maxTokens ?? budget + DEFAULT_MAX_TOKENS;
    const thinking = claudeThinking(budget, maxTokens);
    if (thinking !== undefined) {
      inference["maxTokens"] = maxTokens;
      body["additionalModelRequestFields"] = { thinking };
    }
  }
  if (body["additionalModelRequestFields"] === undefined) {
    if (req.maxTokens !== undefined) inference["maxTokens"] = req.maxTokens;
    if (req.temperature !== undefined) inference["temperature"] = req.temperature;
    if (req.topP !== undefined) inference["topP"] = req.topP;
    // Converse has no topK; Claude takes it as a model field (not with thinking, as on Anthropic).
    if (claude && req.topK !== undefined) body["additionalModelRequestFields"] = { top_k: req.topK };
  }
  if (req.stop.length > 0) inference["stopSequences"] = req.stop;
  if (Object.keys(inference).length > 0) body["inferenceConfig"] = inference;

  if (req.tools.length > 0) {
    const tools = req.tools.map((t, i) => {
      const fn = t.function;
      if (fn === undefined)
        throw new GatewayError("invalid_argument", `tools[${i}].function is required`, {
          field: `tools[${i}].function`,
        });
      const spec: JsonObject = {
        name: fn.name,
        inputSchema: {
          json:
            fn.parametersJson === ""
              ? { type: "object", properties: {} }
              : parseClientJson(fn.parametersJson, `tools[${i}].function.parameters`),
        },
      };
      if (fn.description !== "") spec["description"] = fn.description;
      return { toolSpec: spec };
    });
    const choice = toolChoice(req);
    body["toolConfig"] = choice === undefined ? { tools } : { tools, toolChoice: choice };
  }
  return body;
}

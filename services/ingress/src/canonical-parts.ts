// Builders of the canonical request's small pieces that every door's parser makes the same way:
// a text part, a message of plain text, a function tool, JSON carried as text.
import { create } from "@bufbuild/protobuf";
import {
  ContentPartSchema,
  MessageSchema,
  ToolSchema,
  type CacheControl,
  type ContentPart,
  type Message,
  type Tool,
} from "@switchyard/proto";

/** Arbitrary JSON (schemas, arguments) travels as its text; absent is "". */
export const jsonText = (v: unknown): string => (v === undefined || v === null ? "" : JSON.stringify(v));

export const textPart = (value: string, cacheControl?: CacheControl): ContentPart =>
  create(ContentPartSchema, { part: { case: "text", value }, cacheControl });

/** A message whose content was one plain string (kept as such for the wire shape upstream). */
export const textMessage = (role: string, value: string): Message =>
  create(MessageSchema, { role, content: [textPart(value)], contentIsText: true });

export function functionTool(f: {
  name: string;
  description?: string | null;
  parameters?: unknown;
  strict?: boolean | null;
  cacheControl?: CacheControl;
}): Tool {
  return create(ToolSchema, {
    type: "function",
    function: {
      name: f.name,
      description: f.description ?? "",
      parametersJson: jsonText(f.parameters),
      strict: f.strict ?? undefined,
    },
    cacheControl: f.cacheControl,
  });
}

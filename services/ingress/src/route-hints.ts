// What the router's conditions read, taken from the body once here so the router never decodes
// it: tools, images, the end user, and metadata (the body's `metadata`, then the
// `x-switchyard-metadata` header's `key=value` pairs, which win).
import { create } from "@bufbuild/protobuf";
import { GatewayError } from "@switchyard/common";
import { RouteHintsSchema, type ChatRequest, type RouteHints } from "@switchyard/proto";

const MAX_PAIRS = 16;
const MAX_LENGTH = 1024;

export function routeHintsOf(chat: ChatRequest, headerPairs?: Readonly<Record<string, string>>): RouteHints {
  const images = chat.messages.some((m) => m.content.some((p) => p.part.case === "imageUrl"));
  return create(RouteHintsSchema, {
    tools: chat.tools.length > 0,
    images,
    endUser: chat.user,
    metadata: { ...chat.metadata, ...headerPairs },
  });
}

/** `tier=gold, team=search` → pairs; a malformed header is the client's error, named. */
export function parseMetadataHeader(value: string | undefined): Record<string, string> | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  if (value.length > MAX_LENGTH)
    throw new GatewayError(
      "invalid_argument",
      `x-switchyard-metadata is longer than ${MAX_LENGTH} characters`,
      {
        field: "x-switchyard-metadata",
      },
    );
  const out: Record<string, string> = {};
  const parts = value.split(",");
  if (parts.length > MAX_PAIRS)
    throw new GatewayError("invalid_argument", `x-switchyard-metadata has more than ${MAX_PAIRS} pairs`, {
      field: "x-switchyard-metadata",
    });
  for (const part of parts) {
    const eq = part.indexOf("=");
    const k = part.slice(0, eq).trim();
    if (eq < 0 || k === "")
      throw new GatewayError("invalid_argument", `x-switchyard-metadata: "${part.trim()}" is not key=value`, {
        field: "x-switchyard-metadata",
      });
    out[k] = part.slice(eq + 1).trim();
  }
  return out;
}

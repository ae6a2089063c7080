// Walking untrusted upstream JSON without `any`: every accessor returns a safe default.
import { GatewayError } from "@switchyard/common";

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function obj(value: unknown): JsonObject {
  return isObject(value) ? value : {};
}

export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

export function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** A non-negative integer token count; anything else is 0. */
export function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

/** Parses JSON text the client sent (tool parameters, schemas, arguments). */
export function parseClientJson(text: string, field: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new GatewayError("invalid_argument", `${field} is not valid JSON`, { field, cause: err });
  }
}

/** Parses one JSON document the upstream sent in a stream; a broken one is the upstream's fault. */
export function parseUpstreamJson(text: string, provider: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new GatewayError("upstream_error", `${provider} sent a stream event that is not JSON`, {
      retryable: false,
      cause: err,
    });
  }
}

/** Tool arguments as a JSON object for protocols that want objects (Anthropic, Gemini, Bedrock). */
export function argumentsObject(text: string, field: string): JsonObject {
  if (text.trim() === "") return {};
  const parsed = parseClientJson(text, field);
  if (!isObject(parsed))
    throw new GatewayError("invalid_argument", `${field} must be a JSON object`, { field });
  return parsed;
}

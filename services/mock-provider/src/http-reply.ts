// Small builders for complete HTTP replies.
import type { HttpReply } from "./types.js";

export function jsonReply(status: number, body: unknown, headers: Record<string, string> = {}): HttpReply {
  return {
    status,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  };
}

/** `Retry-After` (seconds) for a 429; other statuses get none. */
export function retryHeaders(status: number, retryAfter: number | undefined): Record<string, string> {
  return status === 429 ? { "retry-after": String(retryAfter ?? 1) } : {};
}

export function headerValue(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function randomId(length: number): string {
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let out = "";
  for (let i = 0; i < length; i++) out += chars[Math.floor(Math.random() * chars.length)];
  return out;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Models the mock serves: any name starting with `mock-` (optionally after a `vendor.` or `models/` prefix). */
export function isMockModel(model: string): boolean {
  return /(^|[./:])mock-/.test(model);
}

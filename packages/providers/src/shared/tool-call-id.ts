// Deterministic tool call ids for protocols that have none (Gemini) and for lenient servers that
// omit them: the same upstream answer always gets the same ids.
import { createHash } from "node:crypto";

export function deterministicToolCallId(...parts: (string | number)[]): string {
  return `call_${createHash("sha256").update(parts.join("\u0000")).digest("hex").slice(0, 24)}`;
}

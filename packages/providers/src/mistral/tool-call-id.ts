// Mistral accepts only tool call ids of exactly 9 ASCII letters and digits. Ids from other
// providers (call_abc..., toolu_...) are mapped by a hash, so an assistant tool call and the tool
// message that answers it always map to the same id; Mistral's own ids pass through unchanged.
import { createHash } from "node:crypto";

const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

export function mistralToolCallId(id: string): string {
  if (/^[a-zA-Z0-9]{9}$/.test(id)) return id;
  const digest = createHash("sha256").update(id).digest();
  let out = "";
  for (let i = 0; i < 9; i++) out += ALPHABET[(digest[i] ?? 0) % ALPHABET.length];
  return out;
}

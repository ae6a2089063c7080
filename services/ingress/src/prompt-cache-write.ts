// The dearest prompt-cache write a chat request asks for, read from its cache_control
// breakpoints (on messages, content parts and tools) once here, so the meter's budget
// reservation can price the prompt at it without decoding the request.
import type { CacheControl, ChatRequest } from "@switchyard/proto";
import { PromptCacheWrite } from "@switchyard/proto";

export function promptCacheWriteOf(chat: ChatRequest): PromptCacheWrite {
  let dearest = PromptCacheWrite.UNSPECIFIED;
  const see = (c: CacheControl | undefined): void => {
    if (c === undefined) return;
    if (c.ttl === "1h") dearest = PromptCacheWrite.ONE_HOUR;
    else if (dearest === PromptCacheWrite.UNSPECIFIED) dearest = PromptCacheWrite.DEFAULT;
  };
  for (const t of chat.tools) see(t.cacheControl);
  for (const m of chat.messages) {
    see(m.cacheControl);
    for (const p of m.content) see(p.cacheControl);
  }
  return dearest;
}

// Control syntax: comma-separated `key=value` pairs, e.g. `latency=200,error=429,retry_after=3`.
// Sources, lowest precedence first: server defaults, `/_mock/<controls>/...` path segment (or the
// named profile of `/_mock/profile/<name>/...`), `x-mock-controls` header, `[mock:<controls>]` in
// the last user message.
import type { MockControls } from "./types.js";

const KEYS = [
  "latency",
  "jitter",
  "ttft",
  "gap",
  "words",
  "error",
  "retry_after",
  "fail_first",
  "hang",
  "cut",
  "tools",
  "cached",
  "cache_write",
  "reasoning",
  "redacted_thinking",
  "dims",
  "echo",
  "context_window",
  "content_filter",
  "ignore_format",
] as const satisfies readonly (keyof MockControls)[];

type ControlKey = (typeof KEYS)[number];

function isControlKey(key: string): key is ControlKey {
  return (KEYS as readonly string[]).includes(key);
}

/** Parse `a=1,b=2`. Throws on an unknown key or a value that is not a non-negative number. */
export function parseControls(text: string): MockControls {
  const out: MockControls = {};
  for (const raw of text.split(",")) {
    const part = raw.trim();
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    const valueText = eq < 0 ? "1" : part.slice(eq + 1).trim();
    if (!isControlKey(key)) throw new Error(`unknown mock control "${key}"`);
    const value = Number(valueText);
    if (!Number.isFinite(value) || value < 0) throw new Error(`mock control "${key}" needs a number >= 0`);
    out[key] = value;
  }
  return out;
}

/** Later sources win, key by key. */
export function mergeControls(...sources: (MockControls | undefined)[]): MockControls {
  return Object.assign({}, ...sources.filter((s) => s !== undefined)) as MockControls;
}

const DIRECTIVE = /\[mock:([^\]]*)\]/;
const DIRECTIVE_WITH_SPACE = /\[mock:[^\]]*\] ?/;
const MARKER = /\[marker:([^\]\s]+)\]/;

/** The text without its `[mock:...]` directive. */
export function withoutDirective(text: string): string {
  return text.replace(DIRECTIVE_WITH_SPACE, "").trim();
}

/** The `[mock:...]` directive text in a message, if any. */
export function findDirective(text: string): string | undefined {
  return DIRECTIVE.exec(text)?.[1];
}

/** The first `[marker:xyz]` tag in a prompt, if any. */
export function findMarker(text: string): string | undefined {
  return MARKER.exec(text)?.[1];
}

/** A profile name: letters, digits, `.`, `_`, `-`; at most 64 characters. */
export function isProfileName(name: string): boolean {
  return /^[A-Za-z0-9._-]{1,64}$/.test(name);
}

/** What a `/_mock/...` prefix asks for: controls written in the path, or a named profile's. */
export interface ControlPath {
  controls?: string;
  profile?: string;
  /** The path after the prefix (the whole path when there is none). */
  path: string;
}

/** Split `/_mock/<controls>/rest` or `/_mock/profile/<name>/rest` into what it asks for and the rest. */
export function splitControlPath(path: string): ControlPath {
  const profile = /^\/_mock\/profile\/([^/]+)(\/.*)$/.exec(path);
  if (profile?.[1] && profile[2]) {
    const name = decodeURIComponent(profile[1]);
    return isProfileName(name) ? { profile: name, path: profile[2] } : { path };
  }
  const m = /^\/_mock\/([^/]+)(\/.*)$/.exec(path);
  if (!m?.[1] || !m[2] || m[1] === "requests" || m[1] === "profiles") return { path };
  return { controls: decodeURIComponent(m[1]), path: m[2] };
}

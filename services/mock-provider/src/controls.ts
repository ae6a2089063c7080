// Control syntax: comma-separated `key=value` pairs, e.g. `latency=200,error=429,retry_after=3`.
// Sources, lowest precedence first: server defaults, `/_mock/<controls>/...` path segment,
// `x-mock-controls` header, `[mock:<controls>]` in the last user message.
import type { MockControls } from "./types.js";

const KEYS = [
  "latency",
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
  "reasoning",
  "dims",
  "echo",
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

/** Split `/_mock/<controls>/rest` into controls text and the rest of the path. */
export function splitControlPath(path: string): { controls: string | undefined; path: string } {
  const m = /^\/_mock\/([^/]+)(\/.*)$/.exec(path);
  if (!m?.[1] || !m[2] || m[1] === "requests") return { controls: undefined, path };
  return { controls: decodeURIComponent(m[1]), path: m[2] };
}

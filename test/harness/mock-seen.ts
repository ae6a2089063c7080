// What the mock upstream received for a request, found by the `[marker:<marker>]` its prompt
// carried: the tests' way to check what the gateway sent upstream.
import assert from "node:assert/strict";
import type { GatewayUnderTest } from "./gateway.js";

export interface SeenRequest {
  body: Record<string, unknown>;
  provider: string;
  headers: Record<string, string>;
  /** The body as sent. */
  text: string;
}

/** The latest request the mock saw with the marker; fails the test when there is none. */
export function seenBy(gw: GatewayUnderTest, marker: string): SeenRequest {
  const r = gw.mock
    .requests()
    .filter((x) => x.marker === marker)
    .at(-1);
  assert.ok(r !== undefined, `the mock saw no request marked ${marker}`);
  return {
    body: JSON.parse(r.body) as Record<string, unknown>,
    provider: r.provider,
    headers: r.headers,
    text: r.body,
  };
}

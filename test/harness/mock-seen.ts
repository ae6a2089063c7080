// What the mock upstream received: a request found by the `[marker:<marker>]` its prompt
// carried, or every request since a point — the tests' way to check what went upstream.
import assert from "node:assert/strict";
import type { MockRequestRecord } from "@switchyard/mock-provider";
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

/**
 * The requests the mock sees from now on, when asked (by record id: the mock keeps only its last
 * 1,000 records, so a count of them can stop changing).
 */
export function mockCallsFrom(gw: GatewayUnderTest): () => MockRequestRecord[] {
  const last = gw.mock.requests().at(-1)?.id ?? 0;
  return () => gw.mock.requests().filter((r) => r.id > last);
}

// IP addresses: dotted quads with every octet ≤ 255 that are not part of a longer dotted number
// (a version "1.2.3.4.5"), and IPv6 addresses from bounded candidates checked by node:net.
// Loopback, private and unspecified addresses are reported too: the policy decides.
import { isIPv6 } from "node:net";
import type { Detector } from "../scan.js";
import { contextBefore, scored } from "./context.js";
import { hasDigit } from "./digits.js";
import { leftmost } from "./leftmost.js";
import { remembered } from "./remembered.js";
import { report, type PiiSpan } from "./span.js";

// 0–255 without a leading zero: the pattern rejects "256.1.1.1" itself, with no candidate to check.
const OCTET = String.raw`(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)`;
// Four dotted octets, not after a word character or a dot, not before a word character or ".digit".
export const IPV4_CANDIDATE = new RegExp(String.raw`(?<![\w.])(?:${OCTET}\.){3}${OCTET}(?!\w|\.\d)`, "g");
// Hex groups and colons, up to 39 characters, optionally ending in a dotted quad
// (::ffff:192.0.2.1), not inside a run of them; either compressed ("::" within) or eight groups,
// so times ("12:30:45") and MAC addresses are no candidates.
export const IPV6_CANDIDATE =
  /(?<![\w:.])(?=[0-9A-Fa-f:]{0,39}::|(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f])[0-9A-Fa-f:]{2,39}(?:\.\d{1,3}){0,3}(?![\w:]|\.\d)/g;

/**
 * Whether the text may hold an IPv6 address: a "::", or the seven colons of eight groups within
 * 39 characters. (Prose and JSON have colons, rarely that close: the candidate pattern, with
 * its lookahead at every hex letter, costs 7 µs a KB.)
 */
export function mayHoldIPv6(text: string, from: number): boolean {
  if (text.includes("::", from)) return true;
  // The six colons before this one, in a ring: seven within 40 characters may be eight groups.
  const before = [-1e9, -1e9, -1e9, -1e9, -1e9, -1e9];
  for (let i = text.indexOf(":", from), n = 0; i >= 0; i = text.indexOf(":", i + 1), n++) {
    if (i - before[n % 6]! <= 40) return true;
    before[n % 6] = i;
  }
  return false;
}

export const IP_DETECTOR: Detector = {
  kind: "ip_address",
  maxSpan: 39 + 12,
  find(text, from, until = text.length) {
    const spans: PiiSpan[] = [];
    const verdicts = new Map<string, boolean>();
    // Most text has no dot or too few colons: skip a pattern that cannot match.
    const v4Candidates = text.includes(".", from) && hasDigit(text, from) ? IPV4_CANDIDATE : null;
    const v6Candidates = mayHoldIPv6(text, from) ? IPV6_CANDIDATE : null;
    const next = leftmost([v4Candidates, v6Candidates], text, from, until, (which, m) => {
      const address = m[0];
      const v4 = which === 0;
      // "::" alone is the unspecified address, but in text it is C++'s or Haskell's "::".
      if (!v4 && !remembered(verdicts, address, () => address.length > 2 && isIPv6(address))) return;
      // A dotted quad after "version" or "build" is a version number.
      const context = contextBefore(text, m.index, "ip_address");
      const score = scored(context, v4 ? 0.7 : 0.8, v4);
      report(spans, "ip_address", v4 ? "ip.v4" : "ip.v6", m.index, m.index + address.length, score);
    });
    return { spans, next };
  },
};

// Email addresses by shape: RFC 5321 limits on the parts, a letter TLD. A TLD that is a file
// extension is a file name with a scale suffix ("logo@2x.png"), not an address.
import type { Detector } from "../scan.js";
import { leftmost } from "./leftmost.js";
import { report, type PiiSpan } from "./span.js";

// Local part ≤ 64, up to 8 labels of ≤ 63, a TLD of letters (RFC 5321 limits).
export const EMAIL =
  /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}(?![A-Za-z0-9-])/g;

/** File extensions that are no TLD: what follows "@2x." in asset names. */
const FILE_EXTENSIONS = new Set([
  "png",
  "jpg",
  "jpeg",
  "gif",
  "svg",
  "webp",
  "avif",
  "bmp",
  "ico",
  "tif",
  "tiff",
]);

export const EMAIL_DETECTOR: Detector = {
  kind: "email",
  maxSpan: 64 + 1 + 8 * 64 + 24,
  // Most text has no "@" at all: one indexOf instead of a pattern scan.
  find(text, from, until = text.length) {
    const spans: PiiSpan[] = [];
    if (!text.includes("@", from)) return { spans, next: from };
    const next = leftmost([EMAIL], text, from, until, (_, m) => {
      const tld = m[0].slice(m[0].lastIndexOf(".") + 1).toLowerCase();
      if (FILE_EXTENSIONS.has(tld)) return;
      report(spans, "email", "email.regex", m.index, m.index + m[0].length, 0.9);
    });
    return { spans, next };
  },
};

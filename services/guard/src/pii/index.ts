// PII and secret detectors: each validates what it finds (a checksum, an issuer range, a
// numbering plan, a decoded header) rather than trusting a shape, and scores it by the context
// words before it. See docs/guard-pii.md.
import type { Detector } from "../scan.js";
import { CARD_DETECTOR } from "./card.js";
import { EMAIL_DETECTOR } from "./email.js";
import { IBAN_DETECTOR } from "./iban.js";
import { IP_DETECTOR } from "./ip.js";
import { PHONE_DETECTOR } from "./phone.js";
import { SECRET_DETECTOR } from "./secrets/secret.js";
import { SSN_DETECTOR } from "./ssn.js";

export type { PiiKind, PiiSpan } from "./span.js";

/** The detectors, for scan(); each returns PiiSpans (a Span with a `score`). */
export const PII_DETECTORS: readonly Detector[] = [
  CARD_DETECTOR,
  IBAN_DETECTOR,
  SSN_DETECTOR,
  EMAIL_DETECTOR,
  PHONE_DETECTOR,
  IP_DETECTOR,
  SECRET_DETECTOR,
];

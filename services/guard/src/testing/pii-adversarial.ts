// Inputs built to make the PII and secret detectors (../pii) work hard: long runs of what their
// candidates are made of, near misses repeated (almost a card, an IBAN, a key), and texts packed
// with valid findings, for the linear-time tests and the guard micro-benchmark.
import { repeatTo } from "./adversarial.js";

/** A PEM block body: 64 base64 characters a line. */
const PEM_BODY = `${"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n".repeat(4)}`;

/** Named adversarial texts of `size` characters. */
export function piiAdversarialInputs(size: number): [name: string, text: string][] {
  const units: [string, string][] = [
    ["digits", "7"],
    ["spaced digits", "7 "],
    ["dashed digits", "7-"],
    ["dotted digits", "7."],
    ["card groups", "4111 "],
    ["card too long", "41111111111111111111111 "],
    ["card Luhn-failing", "4111 1111 1111 1112 "],
    ["digit groups of three", "123 "],
    ["ssn near miss", "123-45-678 "],
    ["bare nine digits after ssn", "ssn 12345678 "],
    ["iban near miss", "DE89 3704 0044 0532 0130 01 "],
    ["iban groups", "DE89 "],
    ["capitals and digits", "AB12CDEF"],
    ["plus digits", "+1 "],
    ["plus spaced digits", "+7 7 7 7 7 7 7 7 7 "],
    ["phone near miss", "tel +44 20 7946 095 "],
    ["parenthesised digits", "(7) "],
    ["dotted quads", "1.1.1.1."],
    ["octets too big", "256.256.256.256 "],
    ["colons", "a:"],
    ["hex colons", "fe80::1:"],
    ["hex", "0123456789abcdef"],
    ["base64", "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0123+/"],
    ["base64url", "eyJhbGciOi_-"],
    ["ey", "ey"],
    ["jwt near miss", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."],
    ["AKIA", "AKIA"],
    ["AKIA spaced", "AKIA "],
    ["github prefix", "ghp_"],
    ["github near miss", "ghp_0123456789abcdefghijABCDEFGHIJ0123 "],
    ["slack prefix", "xoxb-1234567890-"],
    ["openai prefix", "sk-"],
    ["anthropic prefix", "sk-ant-api03-"],
    ["gitlab prefix", "glpat-"],
    ["private key begins", "-----BEGIN RSA PRIVATE KEY-----\n"],
    ["dashes", "-"],
    ["email near miss", "a@b."],
    ["context words", "order invoice "],
  ];
  const out: [string, string][] = units.map(([name, unit]) => [name, repeatTo(unit, size)]);
  out.push(["private key with no end", `-----BEGIN PRIVATE KEY-----\n${repeatTo(PEM_BODY, size - 28)}`]);
  return out;
}

/** A valid JWT (HS256, {"sub":"1234567890","name":"John Doe","iat":1516239022}). */
export const JWT_SPECIMEN =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

/** A PEM private key block (a made-up body of the right shape). */
export const PRIVATE_KEY_SPECIMEN = `-----BEGIN PRIVATE KEY-----\n${PEM_BODY}-----END PRIVATE KEY-----`;

/** Texts of `size` characters packed with valid findings: the most work the policy can get. */
export function piiDenseSpecimens(size: number): [name: string, text: string][] {
  return [
    ["valid cards", repeatTo("card 4111 1111 1111 1111 ", size)],
    ["valid ibans", repeatTo("DE89 3704 0044 0532 0130 00 ", size)],
    ["valid ssns", repeatTo("536-22-4417, ", size)],
    ["valid phones", repeatTo("+44 20 7946 0958 ", size)],
    ["valid national phones", repeatTo("call 0171 123456 ", size)],
    ["valid ips", repeatTo("192.168.1.10 2001:db8::8a2e:370:7334 ", size)],
    ["valid aws keys", repeatTo("AKIAZ7XQ3RKJ4HNW2PLE ", size)],
    ["valid jwts", repeatTo(`${JWT_SPECIMEN} `, size)],
    ["valid private keys", repeatTo(`${PRIVATE_KEY_SPECIMEN}\n`, size)],
  ];
}

/** Characters the PII detectors care about, and valid specimens to mutate, for fuzzing. */
export const PII_FUZZ_ALPHABET = "aAzZeyGB0147 .-_:+()/@=\n";
export const PII_FUZZ_SPECIMENS = [
  "4111 1111 1111 1111",
  "378282246310005",
  "DE89 3704 0044 0532 0130 00",
  "GB82WEST12345698765432",
  "ssn 536-22-4417",
  "+44 20 7946 0958",
  "tel (212) 555-0123",
  "192.168.1.10",
  "2001:db8::8a2e:370:7334",
  "AKIAZ7XQ3RKJ4HNW2PLE",
  "ghp_0123456789abcdefghijABCDEFGHIJ0123ab",
  JWT_SPECIMEN,
  "jane.doe@example.com",
];

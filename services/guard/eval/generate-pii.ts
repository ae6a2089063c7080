// Writes pii.jsonl beside this file: the guard's PII evaluation set (guard item 8). Valid
// specimens of every kind the PII detectors report, in sentences of six languages, and hard
// negatives that look like them but are not (order and tracking numbers, UUIDs, git SHAs,
// Luhn-failing runs, versions, dates, hashes, base64, ISBNs). Deterministic (seeded), so
// `npx tsx services/guard/eval/generate-pii.ts` writes the same file again.
//
// Numbers are made valid here by computing their check digits (Luhn, mod 97), not by asking
// the detectors; phone numbers are kept only if libphonenumber-js calls them valid. Public
// test numbers (4111 1111 1111 1111, the registry's IBAN examples) are included as they are.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parsePhoneNumberFromString } from "libphonenumber-js/max";

interface Entity {
  kind: string;
  start: number;
  end: number;
}
interface Line {
  text: string;
  entities: Entity[];
  note: string;
}

/** mulberry32: a small seeded generator, so the file is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = seeded(20240611);
const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!;
const chars = (alphabet: string, n: number): string =>
  Array.from({ length: n }, () => alphabet[int(0, alphabet.length - 1)]).join("");
const DIGITS = "0123456789";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM = `${UPPER}abcdefghijklmnopqrstuvwxyz${DIGITS}`;

// --- specimens -------------------------------------------------------------------------

/** The digit that makes `body` + digit Luhn-valid. */
function luhnDigit(body: string): string {
  let sum = 0;
  for (let i = body.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = Number(body[i]);
    if (double) d = d > 4 ? 2 * d - 9 : 2 * d;
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

const CARD_PREFIXES: [string, number][] = [
  ["4", 16],
  ["51", 16],
  ["55", 16],
  ["2221", 16],
  ["2720", 16],
  ["34", 15],
  ["37", 15],
  ["6011", 16],
  ["65", 16],
  ["3530", 16],
  ["36", 14],
  ["62", 16],
  ["6304", 16],
];
const PUBLIC_TEST_CARDS = [
  "4111 1111 1111 1111",
  "5555 5555 5555 4444",
  "3782 822463 10005",
  "6011 1111 1111 1117",
  "3530 1113 3330 0000",
  "5105 1051 0510 5100",
  "4012 8888 8888 1881",
];

/** A valid card number, printed in its issuer's groups, with spaces, dashes or none. */
function card(): string {
  const [prefix, length] = pick(CARD_PREFIXES);
  const body = prefix + chars(DIGITS, length - prefix.length - 1);
  const digits = body + luhnDigit(body);
  const groups = length === 15 ? [4, 6, 5] : length === 14 ? [4, 6, 4] : [4, 4, 4, 4];
  const sep = pick([" ", "-", ""]);
  let at = 0;
  return groups.map((g) => digits.slice(at, (at += g))).join(sep);
}

/** Country, BBAN maker (digits and capitals as the country's format has them). */
const IBAN_FORMATS: [string, () => string][] = [
  ["DE", () => chars(DIGITS, 18)],
  ["FR", () => chars(DIGITS, 10) + chars(UPPER + DIGITS, 11) + chars(DIGITS, 2)],
  ["GB", () => chars(UPPER, 4) + chars(DIGITS, 14)],
  ["ES", () => chars(DIGITS, 20)],
  ["IT", () => chars(UPPER, 1) + chars(DIGITS, 10) + chars(DIGITS, 12)],
  ["NL", () => chars(UPPER, 4) + chars(DIGITS, 10)],
  ["BE", () => chars(DIGITS, 12)],
  ["AT", () => chars(DIGITS, 16)],
  ["CH", () => chars(DIGITS, 17)],
  ["PL", () => chars(DIGITS, 24)],
  ["SE", () => chars(DIGITS, 20)],
  ["NO", () => chars(DIGITS, 11)],
  ["PT", () => chars(DIGITS, 21)],
  ["IE", () => chars(UPPER, 4) + chars(DIGITS, 14)],
  ["LU", () => chars(DIGITS, 3) + chars(DIGITS, 13)],
];
/** Examples from the SWIFT IBAN registry. */
const REGISTRY_IBANS = [
  "DE89 3704 0044 0532 0130 00",
  "GB29 NWBK 6016 1331 9268 19",
  "FR14 2004 1010 0505 0001 3M02 606",
  "NL91 ABNA 0417 1643 00",
  "BE68 5390 0754 7034",
  "CH93 0076 2011 6238 5295 7",
  "ES91 2100 0418 4502 0005 1332",
  "IT60 X054 2811 1010 0000 0123 456",
  "AT61 1904 3002 3457 3201",
  "PL61 1090 1014 0000 0712 1981 2874",
  "SE45 5000 0000 0583 9825 7466",
  "NO93 8601 1117 947",
  "DK50 0040 0440 1162 43",
  "FI21 1234 5600 0007 85",
  "IE29 AIBK 9311 5212 3456 78",
  "PT50 0002 0123 1234 5678 9015 4",
];

/** The number of a string of digits and capitals (capitals as 10–35), mod 97. */
function mod97(s: string): number {
  let rest = 0;
  for (const c of s)
    rest = c >= "A" ? (rest * 100 + c.charCodeAt(0) - 55) % 97 : (rest * 10 + Number(c)) % 97;
  return rest;
}

/** A valid IBAN: check digits computed, printed in groups of four or electronically. */
function iban(): string {
  const [country, bban] = pick(IBAN_FORMATS);
  const b = bban();
  const check = String(98 - mod97(`${b}${country}00`)).padStart(2, "0");
  const electronic = `${country}${check}${b}`;
  return random() < 0.6 ? electronic.replace(/(.{4})(?=.)/g, "$1 ") : electronic;
}

const NOT_ISSUED = new Set(["078051120", "219099999", "123456789"]);
/** An SSN the issuance rules allow. */
function ssn(sep: string): string {
  for (;;) {
    const area = int(1, 899);
    if (area === 666) continue;
    const digits = `${String(area).padStart(3, "0")}${String(int(1, 99)).padStart(2, "0")}${String(int(1, 9999)).padStart(4, "0")}`;
    if (NOT_ISSUED.has(digits)) continue;
    return `${digits.slice(0, 3)}${sep}${digits.slice(3, 5)}${sep}${digits.slice(5)}`;
  }
}

const FIRST = ["jane", "max", "lena", "pierre", "sofia", "tom", "aiko", "marta", "li", "noah"];
const LAST = ["doe", "mueller", "martin", "garcia", "rossi", "jansen", "smith", "kowalski", "dubois"];
const DOMAINS = ["example.com", "mail.example.org", "firma.example.de", "correo.example.es", "example.co.uk"];
function email(): string {
  const sep = pick([".", "_", "", "+news."]);
  return `${pick(FIRST)}${sep}${pick(LAST)}${random() < 0.3 ? int(1, 99) : ""}@${pick(DOMAINS)}`;
}

/** Phone numbers in their usual print, with or without the country code. */
const PHONE_FORMATS: { region: "US" | "GB" | "DE" | "FR"; intl: () => string; national: () => string }[] = [
  {
    region: "US",
    intl: () => `+1 ${pick(["202", "212", "415", "617"])} ${int(200, 999)} ${chars(DIGITS, 4)}`,
    national: () => `(${pick(["202", "212", "415", "617"])}) ${int(200, 999)}-${chars(DIGITS, 4)}`,
  },
  {
    region: "GB",
    intl: () => `+44 20 ${int(7000, 8999)} ${chars(DIGITS, 4)}`,
    national: () => `020 ${int(7000, 8999)} ${chars(DIGITS, 4)}`,
  },
  {
    region: "DE",
    intl: () => `+49 30 ${chars(DIGITS, 7)}`,
    national: () => `0${pick(["30", "89", "40"])} ${chars(DIGITS, 7)}`,
  },
  {
    region: "FR",
    intl: () =>
      `+33 ${pick(["6", "7", "1"])} ${chars(DIGITS, 2)} ${chars(DIGITS, 2)} ${chars(DIGITS, 2)} ${chars(DIGITS, 2)}`,
    national: () =>
      `0${pick(["6", "7", "1"])} ${chars(DIGITS, 2)} ${chars(DIGITS, 2)} ${chars(DIGITS, 2)} ${chars(DIGITS, 2)}`,
  },
];
/** A phone number libphonenumber calls valid. */
function phone(national: boolean): string {
  for (;;) {
    const format = pick(PHONE_FORMATS);
    const number = national ? format.national() : format.intl();
    if (parsePhoneNumberFromString(number, format.region)?.isValid()) return number;
  }
}

function ipv4(): string {
  return pick([
    () => `192.168.${int(0, 255)}.${int(1, 254)}`,
    () => `10.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`,
    () => `${int(11, 223)}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`,
  ])();
}
const hex4 = (): string => int(1, 0xffff).toString(16);
function ipv6(): string {
  return pick([
    () => `2001:db8::${hex4()}:${hex4()}`,
    () => `fe80::${hex4()}:${hex4()}:${hex4()}:${hex4()}`,
    () => Array.from({ length: 8 }, hex4).join(":"),
    () => `::ffff:192.0.2.${int(1, 254)}`,
  ])();
}

const B64URL = `${ALNUM}-_`;
const b64url = (s: string): string => Buffer.from(s).toString("base64url");
const SECRETS: [string, () => string][] = [
  ["aws", () => `AKIA${chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)}`],
  ["github", () => `ghp_${chars(ALNUM, 36)}`],
  ["github fine-grained", () => `github_pat_${chars(ALNUM, 22)}_${chars(ALNUM, 59)}`],
  ["gitlab", () => `glpat-${chars(ALNUM, 20)}`],
  ["slack", () => `xoxb-${chars(DIGITS, 12)}-${chars(DIGITS, 13)}-${chars(ALNUM, 24)}`],
  ["openai", () => `sk-proj-${chars(B64URL, 58)}T3BlbkFJ${chars(ALNUM, 58)}`],
  ["anthropic", () => `sk-ant-api03-${chars(B64URL, 93)}AA`],
  ["gcp", () => `AIza${chars(`${ALNUM}_-`, 35)}`],
  ["stripe", () => `sk_live_${chars(ALNUM, 24)}`],
  ["npm", () => `npm_${chars(ALNUM, 36)}`],
  ["sendgrid", () => `SG.${chars(ALNUM, 22)}.${chars(ALNUM, 43)}`],
  ["huggingface", () => `hf_${chars(UPPER + UPPER.toLowerCase(), 34)}`],
  [
    "jwt",
    () =>
      `${b64url(JSON.stringify({ alg: pick(["HS256", "RS256", "ES256"]), typ: "JWT" }))}.${b64url(
        JSON.stringify({ sub: String(int(1000, 99999)), iat: 1700000000 + int(0, 9999999) }),
      )}.${chars(B64URL, 43)}`,
  ],
  [
    "private key",
    () => {
      const label = pick(["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"]);
      const body = Array.from({ length: int(2, 5) }, () => chars(`${ALNUM}+/`, 64)).join("\n");
      return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----`;
    },
  ],
];

// --- sentences ---------------------------------------------------------------------------

/** A sentence template: `{}` is where the specimen goes. */
const SENTENCES: Record<string, string[]> = {
  card_number: [
    "Please charge my card {} for the renewal.",
    "My Visa is {}, expiry 08/27.",
    "Bitte buchen Sie von meiner Kreditkarte {} ab.",
    "Mon numéro de carte est le {} merci.",
    "Pague con la tarjeta {} por favor.",
    "Use the company credit card: {}",
    "Carta di credito {} scadenza 11/26.",
    "{} is the card on file.",
  ],
  iban: [
    "Please wire the refund to IBAN {} by Friday.",
    "Meine IBAN lautet {}, BIC folgt.",
    "Virement sur le compte {} s'il vous plaît.",
    "Transfiera el dinero a la cuenta {} hoy.",
    "Bankrekening {} op naam van de stichting.",
    "IBAN: {}",
    "Conto corrente {} intestato a me.",
  ],
  us_ssn: [
    "My SSN is {} and my date of birth is on the form.",
    "Social security number: {}",
    "Employee SSN {} needs to be verified.",
    "For the W-2, use social security no. {} please.",
    "ssn={} in the CSV export",
  ],
  email: [
    "Contact me at {} when it ships.",
    "Schreiben Sie an {} für Rückfragen.",
    "Mon adresse est {} pour la facture.",
    "Escríbeme a {} mañana.",
    "cc: {}",
  ],
  phone: [
    "Call me on {} after 6pm.",
    "Meine Telefonnummer ist {}",
    "Mon téléphone : {}",
    "Reach the on-call engineer at {}.",
    "WhatsApp me at {} tomorrow.",
    "Ruf mich an unter {} bitte.",
    "Mobile: {}",
  ],
  ip_address: [
    "The server at {} keeps refusing connections.",
    "Login from IP {} was blocked.",
    "Die Anfrage kam von {} heute Nacht.",
    "ssh admin@host -p 22 # host is {}",
    "Add {} to the allowlist.",
  ],
  secret: [
    "Here is my key {} can you see why it fails?",
    "export TOKEN={}",
    'config = {"api_key": "{}"}',
    "Authorization: Bearer {}",
    "Mein Token ist {} – bitte nicht teilen.",
    "I pasted the key by mistake:\n{}\nplease ignore it.",
  ],
};

const lines: Line[] = [];

function positive(kind: string, specimen: string, note: string, template = pick(SENTENCES[kind]!)): void {
  const at = template.indexOf("{}");
  const text = template.slice(0, at) + specimen + template.slice(at + 2);
  lines.push({ text, entities: [{ kind, start: at, end: at + specimen.length }], note });
}

for (const c of PUBLIC_TEST_CARDS) positive("card_number", c, "public test card number");
for (let i = 0; i < 38; i++) positive("card_number", card(), "generated card, Luhn and issuer range");
for (const r of REGISTRY_IBANS) positive("iban", r, "IBAN registry example");
for (let i = 0; i < 34; i++) positive("iban", iban(), "generated IBAN, mod 97");
for (let i = 0; i < 30; i++) positive("us_ssn", ssn(pick(["-", "-", " "])), "generated SSN");
for (let i = 0; i < 8; i++)
  positive("us_ssn", ssn(""), "bare SSN after an SSN word", pick(SENTENCES.us_ssn!.slice(0, 4)));
for (let i = 0; i < 30; i++) positive("email", email(), "email");
for (let i = 0; i < 25; i++) positive("phone", phone(false), "international phone");
// National numbers are reported only after a phone word: every template but "Reach …" has one.
const withPhoneWord = SENTENCES.phone!.filter((t) => !t.startsWith("Reach"));
for (let i = 0; i < 20; i++)
  positive("phone", phone(true), "national phone after a phone word", pick(withPhoneWord));
for (let i = 0; i < 20; i++) positive("ip_address", ipv4(), "IPv4");
for (let i = 0; i < 12; i++) positive("ip_address", ipv6(), "IPv6");
for (const [name, make] of SECRETS) {
  for (let i = 0; i < 4; i++) positive("secret", make(), `secret: ${name}`);
}
// Two kinds in one line.
for (let i = 0; i < 10; i++) {
  const e = email();
  const p = phone(false);
  const text = `Kontakt: ${e}, Tel. ${p}`;
  lines.push({
    text,
    entities: [
      { kind: "email", start: 9, end: 9 + e.length },
      { kind: "phone", start: text.indexOf(p), end: text.indexOf(p) + p.length },
    ],
    note: "email and phone",
  });
}

// --- hard negatives ----------------------------------------------------------------------

const hex = (n: number): string => chars("0123456789abcdef", n);
const uuid = (): string => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
/** A 16-digit run that fails Luhn. */
function luhnFailing(): string {
  const body = `4${chars(DIGITS, 14)}`;
  const digits = body + String((Number(luhnDigit(body)) + int(1, 9)) % 10);
  return digits.replace(/(\d{4})(?=\d)/g, "$1 ");
}
function badIban(): string {
  const good = iban().replaceAll(" ", "");
  const check = Number(good.slice(2, 4));
  return `${good.slice(0, 2)}${String(((check + int(1, 50)) % 97) + 2).padStart(2, "0")}${good.slice(4)}`;
}
const NEGATIVES: [string, () => string][] = [
  ["order number", () => `Order ${luhnFailing()} has shipped.`],
  ["order number (Luhn-valid, after order)", () => `Your order number is ${card().replaceAll(" ", "")}.`],
  ["invoice number", () => `Invoice ${chars(DIGITS, 10)} is overdue.`],
  ["tracking number", () => `Tracking: 1Z${chars(UPPER + DIGITS, 16)}`],
  [
    "tracking number (USPS)",
    () =>
      `tracking 9400 ${chars(DIGITS, 4)} ${chars(DIGITS, 4)} ${chars(DIGITS, 4)} ${chars(DIGITS, 4)} ${chars(DIGITS, 2)}`,
  ],
  ["uuid", () => `request id ${uuid()} failed`],
  ["uuid", () => `Trace ${uuid()} in the logs.`],
  ["git sha", () => `Fixed in commit ${hex(40)}.`],
  ["git sha short", () => `see ${hex(7)} and ${hex(12)}`],
  ["sha256", () => `sha256: ${hex(64)}`],
  ["md5", () => `MD5 (file.tar.gz) = ${hex(32)}`],
  ["luhn-failing digits", () => `The code ${luhnFailing()} did not work.`],
  ["version", () => `Upgrade to version ${int(1, 20)}.${int(0, 9)}.${int(0, 9)}.${int(0, 99)} today.`],
  ["build", () => `build ${int(1, 9)}.${int(0, 20)}.${int(0, 300)}.${int(0, 9999)} passed`],
  ["dotted version", () => `libfoo ${int(1, 9)}.${int(0, 9)}.${int(0, 9)}.${int(0, 9)}.${int(1, 9)} is out`],
  [
    "date",
    () =>
      `Meeting on ${int(2019, 2026)}-${String(int(1, 12)).padStart(2, "0")}-${String(int(1, 28)).padStart(2, "0")}.`,
  ],
  [
    "date",
    () =>
      `Termin am ${String(int(1, 28)).padStart(2, "0")}.${String(int(1, 12)).padStart(2, "0")}.${int(2019, 2026)} um 10:30 Uhr.`,
  ],
  [
    "time",
    () =>
      `Logged at ${String(int(0, 23)).padStart(2, "0")}:${String(int(0, 59)).padStart(2, "0")}:${String(int(0, 59)).padStart(2, "0")} UTC.`,
  ],
  ["phone-looking order id", () => `Order ID: ${int(200, 999)} ${int(200, 999)} ${chars(DIGITS, 4)}`],
  ["phone-looking ref", () => `Ref. ${phone(false)} in the ticket`],
  ["national number, no phone word", () => `Batch ${phone(true)} processed`],
  ["base64 image", () => `<img src="data:image/png;base64,iVBORw0KGgo${chars(`${ALNUM}+/`, 120)}==">`],
  ["base64 blob", () => `payload: ${chars(`${ALNUM}+/`, 88)}=`],
  ["isbn", () => `ISBN 978-${int(0, 9)}-${chars(DIGITS, 2)}-${chars(DIGITS, 6)}-${int(0, 9)}`],
  ["isbn", () => `isbn 978${chars(DIGITS, 10)}`],
  ["invalid iban", () => `Account ${badIban()} was rejected.`],
  [
    "invalid ssn",
    () => `SSN ${pick(["000", "666", "912"])}-${chars(DIGITS, 2)}-${chars(DIGITS, 4)} is not valid.`,
  ],
  [
    "advertised ssn",
    () => `The wallet card number ${pick(["078-05-1120", "219-09-9999", "123-45-6789"])} was never issued.`,
  ],
  ["aws example key", () => "The docs use AKIAIOSFODNN7EXAMPLE as the key id."],
  ["mac address", () => `MAC ${Array.from({ length: 6 }, () => hex(2)).join(":")}`],
  ["c++", () => "Use std::vector<int> and std::map instead."],
  ["invalid ip", () => `value ${int(256, 999)}.${int(0, 255)}.${int(0, 255)}.${int(0, 255)} is out of range`],
  ["money", () => `Total: ${int(1, 999)},${chars(DIGITS, 3)},${chars(DIGITS, 3)}.${chars(DIGITS, 2)} EUR`],
  ["product code", () => `SKU ${chars(UPPER, 3)}-${chars(DIGITS, 6)}-${chars(UPPER, 2)}`],
  ["placeholder token", () => `export GITHUB_TOKEN=\${GITHUB_TOKEN}`],
  ["low-entropy key", () => "key = AKIAAAAAAAAAAAAAAAAA"],
  [
    "jwt-shaped, no alg",
    () =>
      `${b64url(JSON.stringify({ typ: "JWT", kid: hex(8) }))}.${b64url(JSON.stringify({ sub: hex(6) }))}.${chars(B64URL, 43)}`,
  ],
  ["sentence with numbers", () => `We shipped ${int(2, 99)} units in ${int(2, 12)} boxes of ${int(10, 99)}.`],
];
for (let i = 0; i < 4; i++) {
  for (const [note, make] of NEGATIVES)
    lines.push({ text: make(), entities: [], note: `hard negative: ${note}` });
}

const out = fileURLToPath(new URL("./pii.jsonl", import.meta.url));
writeFileSync(out, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
const negatives = lines.filter((l) => l.entities.length === 0).length;
console.log(
  `${lines.length} lines (${lines.length - negatives} with PII, ${negatives} hard negatives) written to ${out}`,
);

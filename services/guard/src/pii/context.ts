// Context words: the words just before a candidate raise or lower how sure a detector is. A
// number after "order", "invoice" or "commit" is most likely that, not a card or a phone; one
// after "card" or "IBAN" most likely is what it looks like. The nearest such word before the
// candidate decides ("my order was paid with card 4111 …" is a card).

/** Characters before a candidate searched for context words. */
export const CONTEXT_CHARS = 32;

/** Words that say a number is an identifier of something else (several languages). */
const LOWERING = [
  "order",
  "orders",
  "invoice",
  "tracking",
  "uuid",
  "guid",
  "sha",
  "sha1",
  "sha256",
  "hash",
  "commit",
  "version",
  "ver",
  "v",
  "build",
  "release",
  "firmware",
  "ref",
  "reference",
  "ticket",
  "id",
  "uid",
  "isbn",
  "serial",
  "sku",
  "part",
  "section",
  "chapter",
  "bestellung",
  "bestellnummer",
  "auftrag",
  "rechnung",
  "sendung",
  "sendungsnummer",
  "commande",
  "facture",
  "suivi",
  "pedido",
  "factura",
  "seguimiento",
  "ordine",
  "fattura",
];

/** Words that say a value is what it looks like, by the kinds they vouch for. */
export const RAISING = {
  card_number: [
    "card",
    "credit",
    "debit",
    "cc",
    "visa",
    "mastercard",
    "amex",
    "discover",
    "jcb",
    "diners",
    "maestro",
    "unionpay",
    "karte",
    "kreditkarte",
    "kartennummer",
    "carte",
    "tarjeta",
    "carta",
    "cartão",
  ],
  iban: ["iban", "account", "bank", "konto", "compte", "cuenta", "conto", "rib", "bic", "swift"],
  us_ssn: ["ssn", "ssns", "social", "security", "ssa"],
  phone: [
    "phone",
    "tel",
    "tél",
    "telephone",
    "téléphone",
    "telefon",
    "telefono",
    "teléfono",
    "telefone",
    "telefonnummer",
    "handynummer",
    "mobilnummer",
    "cellphone",
    "call",
    "mobile",
    "mobil",
    "handy",
    "cell",
    "whatsapp",
    "ruf",
    "rufnummer",
    "anrufen",
    "portable",
    "fax",
    "sms",
    "text",
  ],
  ip_address: ["ip", "ipv4", "ipv6", "address", "host", "server", "client", "from", "adresse", "dirección"],
  email: ["email", "mail", "courriel", "correo"],
} as const;

export type Context = "raising" | "lowering" | "none";

type Vouched = keyof typeof RAISING;

// Per kind, each context word (lower case) and what it does.
const WORDS = new Map<Vouched, Map<string, Context>>(
  Object.entries(RAISING).map(([kind, words]) => [
    kind as Vouched,
    new Map<string, Context>([
      ...LOWERING.map((w): [string, Context] => [w, "lowering"]),
      ...words.map((w): [string, Context] => [w, "raising"]),
    ]),
  ]),
);

/** The longest context word: a longer word is not looked up. */
const LONGEST = Math.max(...[...WORDS.values()].flatMap((m) => [...m.keys()].map((w) => w.length)));

/**
 * Whether the nearest context word in the `chars` characters before `start` raises or lowers a
 * candidate of `kind`. One backward pass over those characters, no pattern (it runs once per
 * candidate, and a text can hold a candidate every few characters): words are runs of letters
 * and digits (any script: code units from U+00C0 on count as letters); only those that start
 * with a letter are looked up; a word cut by the start of the range does not count.
 */
export function contextBefore(text: string, start: number, kind: Vouched, chars = CONTEXT_CHARS): Context {
  const words = WORDS.get(kind)!;
  const stop = start > chars ? start - chars : 0;
  let end = -1; // the end of the word being read, walking back; -1 between words
  for (let i = start - 1; i >= stop; i--) {
    const c = text.charCodeAt(i);
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c >= 0xc0) {
      if (end < 0) end = i + 1;
    } else if (end >= 0) {
      const found = lookUp(words, text, i + 1, end);
      if (found !== undefined) return found;
      end = -1;
    }
  }
  // A word running into the start of the range counts only where the text starts.
  return (end >= 0 && stop === 0 && lookUp(words, text, 0, end)) || "none";
}

/** What the word [from, to) of `text` does, if it is a context word (starting with a letter). */
function lookUp(words: Map<string, Context>, text: string, from: number, to: number): Context | undefined {
  const first = text.charCodeAt(from);
  if (to - from > LONGEST || (first >= 48 && first <= 57)) return undefined;
  return words.get(text.slice(from, to).toLowerCase());
}

/**
 * A score after context: `base` raised by `raise` after a raising word; after a lowering word,
 * a value that is digits only ("digit-like") drops below the report threshold, others lose 0.2.
 */
export function scored(context: Context, base: number, digitLike: boolean, raise = 0.2): number {
  if (context === "raising") return base + raise;
  if (context === "lowering") return digitLike ? 0.3 : base - 0.2;
  return base;
}

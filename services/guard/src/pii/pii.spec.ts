import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { checkSync } from "recheck";
import { startBudget } from "../budget.js";
import { WINDOW, scan, type Span } from "../scan.js";
import { adversarialInputs, repeatTo } from "../testing/adversarial.js";
import { bestMs, fuzzUnit, idleMs } from "../testing/fuzz.js";
import {
  JWT_SPECIMEN,
  PII_FUZZ_ALPHABET,
  PII_FUZZ_SPECIMENS,
  PRIVATE_KEY_SPECIMEN,
  piiAdversarialInputs,
  piiDenseSpecimens,
} from "../testing/pii-adversarial.js";
import { CARD_CANDIDATE, cardIssuer, luhn } from "./card.js";
import { EMAIL } from "./email.js";
import { IBAN_CANDIDATE, ibanChecksumValid } from "./iban.js";
import { PII_DETECTORS, type PiiSpan } from "./index.js";
import { IPV4_CANDIDATE, IPV6_CANDIDATE, mayHoldIPv6 } from "./ip.js";
import { leftmost } from "./leftmost.js";
import { INTERNATIONAL_CANDIDATE, PHONE_CANDIDATE, PHONE_WORDS } from "./phone.js";
import { compileRe2 } from "./secrets/compile-re2.js";
import { GITLEAKS_RULES } from "./secrets/gitleaks-rules.js";
import { jwtHeaderValid } from "./secrets/jwt.js";
import { SECRET_RULES } from "./secrets/rules.js";
import {
  ALLOWLIST_MAX,
  COMPILED_SECRET_RULES,
  RUN_START,
  SECRET_ALLOWLIST_PATTERNS,
  secretMatches,
  tweakedPattern,
} from "./secrets/secret.js";
import { SSN_CANDIDATE, ssnIssuable } from "./ssn.js";

const unlimited = () => startBudget(1e9);
const find = (text: string) => scan(text, PII_DETECTORS, unlimited()) as PiiSpan[];
/** [rule, found text] of every span, in text order. */
const found = (text: string) =>
  find(text)
    .sort((a, b) => a.start - b.start)
    .map((s) => [s.rule, text.slice(s.start, s.end)]);

// A realistic-looking AWS key id (not the documented example, which gitleaks allowlists).
const AWS_KEY = "AKIAZ7XQ3RKJ4HNW2PLE";
const GITHUB_TOKEN = "ghp_0123456789abcdefghijABCDEFGHIJ0123ab";

describe("pii detectors", () => {
  it("find card numbers by Luhn and issuer range, not by shape", () => {
    assert.equal(luhn("4111111111111111"), true);
    assert.equal(cardIssuer("378282246310005"), "amex");
    assert.equal(cardIssuer("3782822463100050"), undefined, "Amex is 15 digits");
    assert.equal(cardIssuer("2221000000000009"), "mastercard");
    assert.deepEqual(found("card 4111 1111 1111 1111 exp 12/25"), [["card.luhn_iin", "4111 1111 1111 1111"]]);
    assert.deepEqual(found("amex 3782-822463-10005, ok"), [["card.luhn_iin", "3782-822463-10005"]]);
    assert.deepEqual(found("an expiry after it: 5500 0000 0000 0004 12/27"), [
      ["card.luhn_iin", "5500 0000 0000 0004"],
    ]);
    // Luhn-valid but no issuer starts with 1; Luhn-failing; a 22-digit tracking number.
    assert.deepEqual(found("1111 1111 1111 1117 and 4111 1111 1111 1112"), []);
    assert.deepEqual(found("parcel 9400 1000 0000 0000 0000 00"), []);
  });

  it("drop a digit-only candidate after a lowering word, keep it after a raising one", () => {
    assert.deepEqual(found("order 4111 1111 1111 1111"), []);
    assert.deepEqual(found("uid: 3714 4963 5398 431"), []);
    assert.deepEqual(found("my order was paid with card 4111 1111 1111 1111"), [
      ["card.luhn_iin", "4111 1111 1111 1111"],
    ]);
    const [plain] = find("4111 1111 1111 1111");
    const [raised] = find("visa 4111 1111 1111 1111");
    assert.ok(plain && raised && raised.score > plain.score && plain.score >= 0.5);
  });

  it("find IBANs by country length and mod 97", () => {
    assert.equal(ibanChecksumValid("GB82WEST12345698765432"), true);
    assert.equal(ibanChecksumValid("GB82 WEST 1234 5698 7654 33"), false);
    assert.deepEqual(found("IBAN DE89 3704 0044 0532 0130 00, BIC COBADEFFXXX"), [
      ["iban.mod97", "DE89 3704 0044 0532 0130 00"],
    ]);
    assert.deepEqual(found("BE68 5390 0754 7034 THEN and NL91ABNA0417164300."), [
      ["iban.mod97", "BE68 5390 0754 7034"],
      ["iban.mod97", "NL91ABNA0417164300"],
    ]);
    // Right checksum, wrong length for DE; a country with no IBAN.
    assert.deepEqual(found("DE89 3704 0044 0532 0130 0 and XX89370400440532013000"), []);
  });

  it("find SSNs by the issuance rules, bare digits only after an SSN word", () => {
    assert.equal(ssnIssuable("536224417"), true);
    for (const bad of [
      "000224417",
      "666224417",
      "936224417",
      "536004417",
      "536220000",
      "078051120",
      "219099999",
    ]) {
      assert.equal(ssnIssuable(bad), false, bad);
    }
    assert.deepEqual(found("SSN 536-22-4417 and 536 22 4417"), [
      ["ssn.issuance", "536-22-4417"],
      ["ssn.issuance", "536 22 4417"],
    ]);
    assert.deepEqual(found("social security number: 536224417"), [["ssn.issuance", "536224417"]]);
    assert.deepEqual(found("reference 536224417, wallet card 078-05-1120, ticket 536-22-4417"), []);
  });

  it("find emails, not asset names", () => {
    assert.deepEqual(found("write to jane.doe+x@example.co.uk or icon@2x.png"), [
      ["email.regex", "jane.doe+x@example.co.uk"],
    ]);
  });

  it("find phone numbers libphonenumber calls valid: with + always, national ones after a phone word", () => {
    assert.deepEqual(found("reach me on +44 20 7946 0958 or +33 6 12 34 56 78."), [
      ["phone.libphonenumber", "+44 20 7946 0958"],
      ["phone.libphonenumber", "+33 6 12 34 56 78"],
    ]);
    assert.deepEqual(found("Tel. (212) 555-0123; ruf mich an: 030 901820"), [
      ["phone.libphonenumber", "(212) 555-0123"],
      ["phone.libphonenumber", "030 901820"],
    ]);
    // National without a phone word; + but not a valid number; an order id.
    assert.deepEqual(found("(212) 555-0123 and +1 555 0100 999 and order +44 20 7946 0958"), []);
  });

  it("find IPv4 and IPv6 addresses, not versions", () => {
    assert.deepEqual(found("from 192.168.1.10 and 2001:db8::8a2e:370:7334, ::1."), [
      ["ip.v4", "192.168.1.10"],
      ["ip.v6", "2001:db8::8a2e:370:7334"],
      ["ip.v6", "::1"],
    ]);
    assert.deepEqual(
      found("version 10.2.3.4, 1.2.3.4.5, 256.1.1.1, 12:30:45, 00:1a:2b:3c:4d:5e, std::vector"),
      [],
    );
  });

  it("skip the IPv6 pattern only where it cannot match", () => {
    // Eight full groups, and prose whose colons are far apart: only the first needs the pattern.
    assert.equal(mayHoldIPv6("at ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff now", 0), true);
    assert.equal(
      mayHoldIPv6('{"name": "Ada", "team": "blue", "role": "admin", "since": 2021, "city": "Oslo"}', 0),
      false,
    );
    const hexAndColons = fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEF:. x"), maxLength: 80 });
    fc.assert(
      fc.property(hexAndColons, fc.nat(5), (text, from) => {
        IPV6_CANDIDATE.lastIndex = from;
        if (IPV6_CANDIDATE.exec(text) !== null) assert.equal(mayHoldIPv6(text, from), true, text);
      }),
      { numRuns: 3000 },
    );
  });

  it("find secrets by gitleaks' rules, JWTs by their header, keys by their block", () => {
    assert.deepEqual(found(`aws_access_key_id = ${AWS_KEY}\ntoken: ${GITHUB_TOKEN}`), [
      ["secret.aws_access_key", AWS_KEY],
      ["secret.github_token", GITHUB_TOKEN],
    ]);
    assert.deepEqual(found(`Authorization: Bearer ${JWT_SPECIMEN}`), [["secret.jwt", JWT_SPECIMEN]]);
    assert.deepEqual(found(`key:\n${PRIVATE_KEY_SPECIMEN}\n`), [
      ["secret.private_key", PRIVATE_KEY_SPECIMEN],
    ]);
    // The documented example key (gitleaks allowlists it), a JWT-shaped string whose header
    // has no alg, a block whose END does not match its BEGIN.
    const noAlg = `${Buffer.from('{"typ":"JWT","x":1}').toString("base64url")}.${JWT_SPECIMEN.split(".").slice(1).join(".")}`;
    assert.equal(jwtHeaderValid(noAlg), false);
    const mismatched = PRIVATE_KEY_SPECIMEN.replace("END PRIVATE", "END RSA PRIVATE");
    assert.deepEqual(found(`AKIAIOSFODNN7EXAMPLE ${noAlg} ${mismatched}`), []);
  });

  it("never report a git SHA or a UUID as a secret", () => {
    const text =
      "commit 3f786850e387550fdab836ed7e6dc881de23001b, sha256 " +
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855, id 123e4567-e89b-12d3-a456-426614174000";
    assert.deepEqual(
      find(text).filter((s) => s.kind === "secret"),
      [],
    );
  });

  it("compile every rule the guard names, with every tweak applying", () => {
    for (const rule of SECRET_RULES) {
      for (const id of rule.gitleaks) {
        const upstream = GITLEAKS_RULES.find((r) => r.id === id);
        assert.ok(upstream, `gitleaks has no rule ${id}`);
        assert.doesNotThrow(() => compileRe2(tweakedPattern(upstream, rule), rule.cap ?? 256), id);
      }
    }
    // The compiler reads every vendored rule, not only these: adding one is a line in rules.ts.
    for (const r of GITLEAKS_RULES)
      assert.doesNotThrow(() => new RegExp(compileRe2(r.regex, 256).source), r.id);
  });

  it("cover the longest span of every detector with its maxSpan", () => {
    const secret = PII_DETECTORS.find((d) => d.kind === "secret")!;
    for (const r of COMPILED_SECRET_RULES) assert.ok(r.maxLength <= secret.maxSpan, r.gitleaksId);
    assert.ok(secret.maxSpan >= 8192, "a private key block of 8 KiB");
  });
});

describe("pii fast paths", () => {
  // The secret detector finds what a search of all its rules joined into one pattern finds,
  // without running that search over the text (it cost 10–20 ms a megabyte of prose): it tries
  // only where a run of token characters starts as some rule's secrets do, and there only those
  // rules. This holds it to the plain search.
  const text = fc
    .array(
      fc.oneof(
        fc.constantFrom(...PII_FUZZ_SPECIMENS, "icon@2x.png", "a@b.c", "x@y.co.uk.", "@", ".", "ey", "ghp_"),
        fc.constantFrom(
          "AKIA",
          "xoxb-",
          "sk-",
          "-----BEGIN ",
          "gh",
          "@b.",
          "a".repeat(70),
          "b".repeat(64) + ".",
        ),
        fc.string({ unit: fc.constantFrom(..."aAzZeyGB0147 .-_:+/@=\n"), maxLength: 12 }),
      ),
      { maxLength: 24 },
    )
    .map((parts) => parts.join(""));
  const window = text.chain((t) =>
    fc.tuple(fc.constant(t), fc.nat({ max: 8 }), fc.nat({ max: t.length + 4 })).map(([t, a, b]) => ({
      t,
      from: Math.min(a, t.length),
      until: Math.min(a, t.length) + b,
    })),
  );

  it("the secret detector tries what a search of all the rules joined finds", () => {
    // The rules as alternatives of one pattern, in order (the first that matches at a place
    // wins), behind one run-start look-behind; each rule's group is found by its offset.
    let group = 1;
    const groups = COMPILED_SECRET_RULES.map((r) => {
      const at = group;
      group += 1 + r.groups;
      return at;
    });
    const joined = new RegExp(
      `${RUN_START}(?:${COMPILED_SECRET_RULES.map((r) => `(${r.source})`).join("|")})`,
      "g",
    );
    const key = (id: string, index: number, match: string) => `${id}@${index}:${match}`;
    fc.assert(
      fc.property(window, ({ t, from, until }) => {
        const expected: string[] = [];
        leftmost([joined], t, from, until, (_, m) => {
          const r = COMPILED_SECRET_RULES.findIndex((_, i) => m[groups[i]!] !== undefined);
          expected.push(key(COMPILED_SECRET_RULES[r]!.gitleaksId, m.index, m[0]));
        });
        const actual = secretMatches(t, from, until).map((s) =>
          key(s.rule.gitleaksId, s.match.index, s.match[0]),
        );
        assert.deepEqual(actual, expected);
      }),
      { numRuns: 2000 },
    );
    // And on the specimens and near misses, at every offset a window could start from.
    for (const t of [...PII_FUZZ_SPECIMENS, JWT_SPECIMEN, PRIVATE_KEY_SPECIMEN].map((s) => `x ${s} ${s}\n`))
      for (let from = 0; from < t.length; from += 3) {
        const expected: string[] = [];
        leftmost([joined], t, from, t.length, (_, m) => {
          const r = COMPILED_SECRET_RULES.findIndex((_, i) => m[groups[i]!] !== undefined);
          expected.push(key(COMPILED_SECRET_RULES[r]!.gitleaksId, m.index, m[0]));
        });
        const actual = secretMatches(t, from).map((s) => key(s.rule.gitleaksId, s.match.index, s.match[0]));
        assert.deepEqual(actual, expected, t);
      }
  });
});

describe("pii linear time", () => {
  // Patterns that run over the prompt, each as it runs (secret rules after their run-start guard).
  const scanning: [string, RegExp][] = [
    ["CARD_CANDIDATE", CARD_CANDIDATE],
    ["IBAN_CANDIDATE", IBAN_CANDIDATE],
    ["SSN_CANDIDATE", SSN_CANDIDATE],
    ["EMAIL", EMAIL],
    ["PHONE_CANDIDATE", PHONE_CANDIDATE],
    ["INTERNATIONAL_CANDIDATE", INTERNATIONAL_CANDIDATE],
    ["PHONE_WORDS", PHONE_WORDS],
    ["IPV4_CANDIDATE", IPV4_CANDIDATE],
    ["IPV6_CANDIDATE", IPV6_CANDIDATE],
    ...COMPILED_SECRET_RULES.map((r): [string, RegExp] => [
      r.gitleaksId,
      new RegExp(`${RUN_START}(?:${r.source})`),
    ]),
  ];
  const allowlists = SECRET_ALLOWLIST_PATTERNS.map((re, i): [string, RegExp] => [`allowlist ${i}`, re]);

  it("every pattern has bounded repetition only", () => {
    for (const [name, re] of [...scanning, ...allowlists]) {
      // Escapes and character classes cannot repeat; what is left must not hold + * or {n,}.
      const bare = re.source.replace(/\\./g, "").replace(/\[[^\]]*\]/g, "");
      assert.doesNotMatch(bare, /[+*]|\{\d+,\}/, `${name} has an unbounded repetition: ${re.source}`);
    }
  });

  it("every pattern over the prompt is safe by recheck's ReDoS analysis", { timeout: 300_000 }, () => {
    for (const [name, re] of scanning) {
      const result = checkSync(re.source, re.flags.replace(/[gdy]/g, ""));
      assert.equal(result.status, "safe", `${name}: ${JSON.stringify(result).slice(0, 500)}`);
    }
  });

  it("allowlist patterns, which see one secret of bounded length, stay fast on its worst case", () => {
    // recheck calls some of gitleaks' allowlist patterns polynomial (".+EXAMPLE$" tried from
    // every start): they only ever see one matched secret (or its line) of at most
    // ALLOWLIST_MAX characters. Time each on recheck's own attack pumped to that length.
    const longest = ALLOWLIST_MAX;
    for (const [name, re] of allowlists) {
      const result = checkSync(re.source, re.flags);
      if (result.status !== "vulnerable") continue;
      const attack = result.attack;
      const pump = attack.pumps.map((p) => p.prefix + p.pump.repeat(longest / p.pump.length)).join("");
      const input = (pump + attack.suffix).slice(0, longest);
      const ms = idleMs(() => re.test(input), 5, 5);
      assert.ok(ms <= 5, `${name} ${re.source}: ${ms.toFixed(2)} ms on ${input.length} characters`);
    }
  });

  /**
   * Each detector's time on each input, printed as a table, then held to `limit` ms plus
   * `perSpan` ms for each span the detector reports there: the best of up to `runs` runs as
   * on the idle machine (testing/fuzz.ts, `idleMs`).
   */
  function timeEach(
    title: string,
    inputs: [string, string][],
    limit: number,
    runs: number,
    perSpan = 0,
  ): void {
    const rows: string[] = [];
    const over: string[] = [];
    for (const [name, text] of inputs) {
      const per = PII_DETECTORS.map((d) => {
        const spans = scan(text, [d], unlimited()).length;
        const ms = idleMs(() => scan(text, [d], unlimited()), runs, limit + perSpan * spans);
        return [d.kind, ms, spans] as const;
      });
      rows.push(`${name.padEnd(28)} ${per.map(([k, ms]) => `${k} ${ms.toFixed(1)}`).join("  ")}`);
      for (const [kind, ms, spans] of per) {
        const bound = limit + perSpan * spans;
        if (ms > bound)
          over.push(`${name}: ${kind} ${ms.toFixed(1)} ms, over ${bound.toFixed(0)} ms for ${spans} spans`);
      }
    }
    console.log(
      `${title}, ms per detector as on the idle machine (best of up to ${runs}):\n${rows.join("\n")}`,
    );
    assert.deepEqual(over, []);
  }

  it("scans each adversarial input of 1 MB in at most 50 ms per detector", () => {
    timeEach(
      "1 MiB adversarial inputs",
      [...piiAdversarialInputs(1 << 20), ...adversarialInputs(1 << 20)],
      50,
      10,
    );
  });

  it("scans each input of 1 MB packed with valid findings in at most 50 ms + 4 µs a finding", () => {
    // 35,000–80,000 findings a megabyte, each a span the policy then acts on: per finding
    // (1–4 µs: the match, its check, its context words, the span), not per character, is what
    // costs here.
    timeEach("1 MiB of valid findings", piiDenseSpecimens(1 << 20), 50, 5, 0.004);
  });

  it("fuzz: no detector takes super-linear time on a random or mutated input", () => {
    // As detectors.spec.ts: each detector over the whole text, not in windows (which would
    // hide a slow pattern); a unit repeated between a head and a tail.
    const small = 4 * 1024;
    const large = 16 * small;
    fc.assert(
      fc.property(piiFuzzUnit, piiFuzzUnit, piiFuzzUnit, (head, unit, tail) => {
        for (const d of PII_DETECTORS) {
          const a = bestMs(() => d.find(head + repeatTo(unit, small) + tail, 0), 3);
          const b = bestMs(() => d.find(head + repeatTo(unit, large) + tail, 0), 3);
          // Linear: 16× the input costs about 16× the time. Quadratic would be 256×.
          assert.ok(b <= 16 * 3 * Math.max(a, 0.05), `${d.kind}: ${a.toFixed(3)} ms → ${b.toFixed(3)} ms`);
        }
      }),
      { numRuns: Number(process.env.GUARD_FUZZ_RUNS ?? 60), endOnFailure: true },
    );
  });
});

const piiFuzzUnit = fuzzUnit(PII_FUZZ_ALPHABET, PII_FUZZ_SPECIMENS);

describe("pii windows", () => {
  const key = (s: Span) => `${s.rule}@${s.start}-${s.end}`;

  it("find exactly what one pass over the whole text finds", () => {
    fc.assert(
      fc.property(fc.array(piiFuzzUnit, { minLength: 1, maxLength: 40 }), (units) => {
        const text = repeatTo(units.join(""), 3 * WINDOW);
        const windowed = find(text).map(key).sort();
        const whole = PII_DETECTORS.flatMap((d) => d.find(text, 0).spans)
          .map(key)
          .sort();
        assert.deepEqual(windowed, whole);
      }),
      { numRuns: 20 },
    );
  });

  it("find a span that straddles a window edge once, for every kind", () => {
    for (const specimen of PII_FUZZ_SPECIMENS) {
      for (const shift of [1, 7, 20]) {
        const text = `${"x ".repeat((WINDOW - shift) / 2)}${specimen} tail`;
        const whole = PII_DETECTORS.flatMap((d) => d.find(text, 0).spans).map(key);
        assert.ok(whole.length > 0, specimen);
        assert.deepEqual(find(text).map(key).sort(), whole.sort(), `${specimen} at shift ${shift}`);
      }
    }
  });
});

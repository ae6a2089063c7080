// Per-tenant guard policy on the real stack, both directions: tokenize keeps values from the
// upstream and gives them back in the answer (unary, streamed, tool-call arguments), output
// screening catches a value split across stream chunks, a leaked canary ends a stream with
// content_filter, two tenants get different actions for one request, and every screening
// publishes a verdict with salted hashes, never the values. The MOCK upstream echoes the prompt
// in 4-character pieces (`echo` control) and records what reached it.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { readGuardVerdicts } from "@switchyard/reliability/usage-events";
import { Action } from "@switchyard/proto";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";
import { waitForUsageEvents } from "./harness/usage-events.js";

/** A key of each extra tenant: "strict" blocks emails, "watch" screens answers. */
const TENANT_KEYS = { strict: "sy-test-strict-key", watch: "sy-test-watch-key" } as const;
const EMAIL = "jane.doe@example.com";
const PHONE = "+44 20 7946 0958";
const TOKEN = "ghp_0123456789abcdefghijABCDEFGHIJ0123ab";

let n = 0;

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  toolArgs: string[];
  finish: string[];
  requestId: string;
  body: unknown;
}

async function call(
  gw: GatewayUnderTest,
  opts: { key?: string; content: string; stream?: boolean; system?: string; tool?: boolean },
): Promise<Answer & { marker: string }> {
  const marker = `gp-${n++}`;
  const requestId = `guard-policy-${marker}`;
  const messages = [
    ...(opts.system !== undefined ? [{ role: "system", content: opts.system }] : []),
    { role: "user", content: `[marker:${marker}] ${opts.content}` },
  ];
  const tools = opts.tool
    ? {
        tools: [
          {
            type: "function",
            function: {
              name: "send_mail",
              parameters: { type: "object", properties: { to: { type: "string" } }, required: ["to"] },
            },
          },
        ],
        tool_choice: "required",
      }
    : {};
  const res = await fetch(`${gw.httpUrl}/chat/completions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${opts.key ?? KEYS.dev}`,
      "content-type": "application/json",
      "x-request-id": requestId,
    },
    body: JSON.stringify({ model: "mock-gpt", messages, stream: opts.stream ?? false, ...tools }),
  });
  const raw = await res.text();
  const answer: Answer = {
    status: res.status,
    headers: res.headers,
    text: "",
    toolArgs: [],
    finish: [],
    requestId,
    body: raw,
  };
  if (res.status !== 200) return { ...answer, marker, body: JSON.parse(raw) };
  if (!opts.stream) {
    const body = JSON.parse(raw) as {
      choices: {
        message: { content: string | null; tool_calls?: { function: { arguments: string } }[] };
        finish_reason: string;
      }[];
    };
    const choice = body.choices[0]!;
    return {
      ...answer,
      marker,
      body,
      text: choice.message.content ?? "",
      toolArgs: (choice.message.tool_calls ?? []).map((c) => c.function.arguments),
      finish: [choice.finish_reason],
    };
  }
  const args: string[] = [];
  let text = "";
  const finish: string[] = [];
  const lines = raw.split("\n").filter((l) => l.startsWith("data: "));
  assert.equal(lines.at(-1), "data: [DONE]", "the stream ends explicitly");
  for (const line of lines.slice(0, -1)) {
    const chunk = JSON.parse(line.slice(6)) as {
      choices: {
        delta: { content?: string; tool_calls?: { index: number; function?: { arguments?: string } }[] };
        finish_reason: string | null;
      }[];
    };
    for (const c of chunk.choices) {
      text += c.delta.content ?? "";
      for (const t of c.delta.tool_calls ?? [])
        args[t.index] = (args[t.index] ?? "") + (t.function?.arguments ?? "");
      if (c.finish_reason) finish.push(c.finish_reason);
    }
  }
  return { ...answer, marker, text, toolArgs: args, finish };
}

describe("guard: per-tenant policy, tokenize and output screening", () => {
  let gw: GatewayUnderTest;
  const upstream = (marker: string) => gw.mock.requests().find((r) => r.marker === marker)?.body ?? "";

  before(async () => {
    gw = await startGateway({
      env: { SWITCHYARD_GUARD_HASH_SALT: "test-salt" },
      guard: {
        email: "tokenize",
        phone: "tokenize",
        tenants: {
          strict: { email: "block" },
          watch: {
            email: "allow",
            secret: "allow",
            output: { email: "redact", secret: "redact" },
            canary: "block",
          },
        },
      },
      gatewayFile: (file) => {
        const f = file as { tenants: object[]; keys: object[] };
        for (const [tenant, key] of Object.entries(TENANT_KEYS)) {
          f.tenants.push({ id: tenant, name: tenant });
          f.keys.push({
            id: `${tenant}-key`,
            tenant,
            hash: `sha256:${createHash("sha256").update(key).digest("hex")}`,
          });
        }
      },
    });
  });
  after(() => gw?.stop());

  const prompt = `[mock:echo=1] Write to ${EMAIL} or call ${PHONE}, then write to ${EMAIL} again.`;

  it("tokenize: the upstream sees placeholders, the unary answer has the values back", async () => {
    const a = await call(gw, { content: prompt });
    assert.equal(a.status, 200, JSON.stringify(a.body));
    const seen = upstream(a.marker);
    assert.ok(seen.includes("[EMAIL_1]") && seen.includes("[PHONE_1]"), seen);
    assert.ok(!seen.includes(EMAIL) && !seen.includes("7946"), "no raw value reached the upstream");
    assert.ok(a.text.includes(`Write to ${EMAIL} or call ${PHONE}, then write to ${EMAIL} again.`), a.text);
    assert.doesNotMatch(a.text, /\[(EMAIL|PHONE)_\d\]/);
    assert.equal(a.headers.get("x-switchyard-guard"), "input.email=tokenize, input.phone=tokenize");
  });

  it("tokenize: a streamed answer has the values back, placeholders split across chunks", async () => {
    const a = await call(gw, { content: prompt, stream: true });
    assert.equal(a.status, 200);
    assert.ok(!upstream(a.marker).includes(EMAIL));
    assert.ok(a.text.includes(`Write to ${EMAIL} or call ${PHONE}, then write to ${EMAIL} again.`), a.text);
    assert.deepEqual(a.finish, ["stop"]);
  });

  it("tokenize: tool-call arguments have the values back, unary and streamed", async () => {
    for (const stream of [false, true]) {
      const a = await call(gw, { content: `[mock:echo=1] Mail ${EMAIL} "now"`, tool: true, stream });
      assert.equal(a.status, 200, JSON.stringify(a.body));
      assert.ok(!upstream(a.marker).includes(EMAIL));
      assert.equal(a.toolArgs.length, 1, `stream=${stream}`);
      const args = JSON.parse(a.toolArgs[0]!) as { to: string };
      assert.equal(args.to, `[marker:${a.marker}] Mail ${EMAIL} "now"`, `stream=${stream}`);
    }
  });

  it("gives two tenants different actions for the same request", async () => {
    const local = await call(gw, { content: `Mail ${EMAIL}` });
    assert.equal(local.status, 200);
    const strict = await call(gw, { key: TENANT_KEYS.strict, content: `Mail ${EMAIL}` });
    assert.equal(strict.status, 400, JSON.stringify(strict.body));
    assert.match(JSON.stringify(strict.body), /blocked by the guard policy \(email\)/);
    assert.equal(strict.headers.get("x-switchyard-guard"), "input.email=block");
    assert.equal(upstream(strict.marker), "", "the blocked request never reached the upstream");
  });

  it("output: catches an email and a secret split across upstream stream chunks", async () => {
    const a = await call(gw, {
      key: TENANT_KEYS.watch,
      content: `[mock:echo=1] Ask ${EMAIL} for the token ${TOKEN} today.`,
      stream: true,
    });
    assert.equal(a.status, 200);
    // The prompt went up as it was (input allows both) and came back in 4-character pieces.
    assert.ok(upstream(a.marker).includes(EMAIL));
    assert.ok(a.text.includes("Ask [EMAIL] for the token [SECRET] today."), a.text);
    assert.ok(!a.text.includes(EMAIL) && !a.text.includes("ghp_"), a.text);
    assert.deepEqual(a.finish, ["stop"]);
  });

  it("output: a screened stream keeps redacted thinking blocks, which hold nothing to screen", async () => {
    const res = await fetch(`${gw.httpUrl}/messages`, {
      method: "POST",
      headers: {
        "x-api-key": TENANT_KEYS.watch,
        "anthropic-version": "2023-06-01",
        "content-type": "application/json",
      },
      body: JSON.stringify({
        model: "mock-claude",
        max_tokens: 4000,
        stream: true,
        thinking: { type: "enabled", budget_tokens: 2048 },
        messages: [
          { role: "user", content: `[mock:echo=1,reasoning=3,redacted_thinking=1] Ask ${EMAIL} today.` },
        ],
      }),
    });
    assert.equal(res.status, 200);
    const events = (await res.text())
      .split("\n")
      .filter((l) => l.startsWith("data: "))
      .map(
        (l) =>
          JSON.parse(l.slice(6)) as {
            type: string;
            content_block?: { type: string; data?: string };
            delta?: { text?: string };
          },
      );
    const blocks = events.flatMap((e) => (e.type === "content_block_start" ? [e.content_block!.type] : []));
    assert.deepEqual(blocks, ["thinking", "redacted_thinking", "text"]);
    assert.match(
      events.find((e) => e.content_block?.type === "redacted_thinking")?.content_block?.data ?? "",
      /./,
    );
    const text = events.map((e) => e.delta?.text ?? "").join("");
    assert.ok(text.includes("Ask [EMAIL] today.") && !text.includes(EMAIL), text);
  });

  it("output: a canary leak ends the stream with content_filter, and a unary answer too", async () => {
    const leak = await call(gw, {
      key: TENANT_KEYS.watch,
      system: "You are a terse assistant.",
      content: "[mock:echo=2] Hello.",
      stream: true,
    });
    assert.equal(leak.status, 200);
    assert.match(upstream(leak.marker), /Confidential marker: cnry-/, "the canary was placed");
    assert.deepEqual(leak.finish, ["content_filter"]);
    assert.doesNotMatch(leak.text, /cnry-/);
    // Cut short, it is metered by an estimate, not for free.
    const [event] = (await waitForUsageEvents(gw.nc, gw.prefix, [leak.requestId])).filter(
      (e) => e.requestId === leak.requestId,
    );
    assert.ok((event?.usage?.completionTokens ?? 0) > 0, JSON.stringify(event?.usage));
    assert.ok((event?.costNanoUsd ?? 0n) > 0n);

    const unary = await call(gw, {
      key: TENANT_KEYS.watch,
      content: "[mock:echo=2] Hello.",
    });
    assert.deepEqual(unary.finish, ["content_filter"]);
    assert.equal(unary.text, "");
    assert.match(unary.headers.get("x-switchyard-guard") ?? "", /output\.canary=block/);

    // Without a leak the canary changes nothing the client sees.
    const clean = await call(gw, {
      key: TENANT_KEYS.watch,
      content: "[mock:echo=1] Hello there.",
      stream: true,
    });
    assert.deepEqual(clean.finish, ["stop"]);
    assert.ok(clean.text.endsWith("Hello there."), clean.text);
  });

  it("publishes a verdict per screening with salted hashes, never the values", async () => {
    const a = await call(gw, { key: TENANT_KEYS.watch, content: `[mock:echo=1] Ask ${EMAIL} please.` });
    assert.equal(a.status, 200);
    let verdicts: Awaited<ReturnType<typeof readGuardVerdicts>> = [];
    for (let i = 0; i < 50; i++) {
      verdicts = (await readGuardVerdicts(gw.nc, gw.prefix)).filter((v) => v.requestId === a.requestId);
      if (verdicts.length === 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(verdicts.map((v) => v.direction).sort(), ["input", "output"]);
    const output = verdicts.find((v) => v.direction === "output")!;
    assert.equal(output.tenantId, "watch");
    const email = output.result?.findings.find((f) => f.kind === "email");
    assert.equal(email?.action, Action.REDACT);
    const expected = createHash("sha256").update(EMAIL).digest("hex");
    assert.equal(email?.valueHashes.length, 1);
    assert.match(email.valueHashes[0]!, /^[0-9a-f]{16}$/);
    assert.notEqual(email.valueHashes[0], expected.slice(0, 16), "salted, not a bare hash");
    const all = JSON.stringify(verdicts, (_, v: unknown) => (typeof v === "bigint" ? String(v) : v));
    assert.ok(!all.includes(EMAIL), "no raw value in a verdict");
  });
});

// The Responses door's bounded store: with store: true (OpenAI's default) a response can be
// continued by previous_response_id, its items pointed at by item_reference (what the Vercel AI
// SDK sends in tool loops by default), read and deleted by id — and only by its own tenant.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import OpenAI from "openai";
import { jetstream } from "@nats-io/jetstream";
import { openResponseStore, responsesBucketName } from "@switchyard/common";
import { sha256Key } from "@switchyard/devkit";
import { aiProvider, weatherToolLoop } from "./harness/ai-sdk.js";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";

const OTHER_TENANT_KEY = "sy-test-other-tenant-key";

/** The chat messages the mock upstream got in the last request carrying `[marker:<marker>]`. */
function upstreamMessages(gw: GatewayUnderTest, marker: string): { role: string; content: string }[] {
  const r = gw.mock
    .requests()
    .filter((x) => x.body.includes(`[marker:${marker}]`))
    .at(-1);
  assert.ok(r !== undefined, `the mock saw no request marked ${marker}`);
  const { messages } = JSON.parse(r.body) as { messages: { role: string; content: unknown }[] };
  // Content as text, whether it went as a string or as text parts.
  return messages.map((m) => ({
    role: m.role,
    content:
      typeof m.content === "string"
        ? m.content
        : (m.content as { text?: string }[]).map((p) => p.text ?? "").join(""),
  }));
}

describe("Responses door: the bounded store", () => {
  let gw: GatewayUnderTest;
  let client: OpenAI;
  let other: OpenAI;

  before(async () => {
    gw = await startGateway({
      // A small body limit, to see references bounded by it.
      env: { SWITCHYARD_MAX_BODY_BYTES: String(1024 * 1024) },
      gatewayFile: (config) => {
        (config["tenants"] as unknown[]).push({ id: "other", name: "Another tenant" });
        (config["keys"] as unknown[]).push({
          id: "other",
          tenant: "other",
          hash: sha256Key(OTHER_TENANT_KEY),
        });
      },
    });
    client = new OpenAI({ baseURL: gw.httpUrl, apiKey: KEYS.dev, maxRetries: 0 });
    other = new OpenAI({ baseURL: gw.httpUrl, apiKey: OTHER_TENANT_KEY, maxRetries: 0 });
  });
  after(() => gw?.stop());

  it("continues a response by previous_response_id, with the whole conversation upstream", async () => {
    const first = await client.responses.create({ model: "mock-gpt", input: "first turn [marker:prev-1]" });
    assert.equal((first as unknown as { store: boolean }).store, true);
    const second = await client.responses.create({
      model: "mock-gpt",
      previous_response_id: first.id,
      input: "second turn [marker:prev-2]",
    });
    assert.equal(second.status, "completed");
    const seen = upstreamMessages(gw, "prev-2");
    assert.deepEqual(
      seen.map((m) => m.role),
      ["user", "assistant", "user"],
    );
    assert.equal(seen[1]?.content, first.output_text);
    // A chain of them carries every earlier turn.
    await client.responses.create({
      model: "mock-gpt",
      previous_response_id: second.id,
      input: "third turn [marker:prev-3]",
    });
    assert.equal(upstreamMessages(gw, "prev-3").length, 5);
  });

  it("resolves an item_reference to the stored item", async () => {
    const first = await client.responses.create({ model: "mock-gpt", input: "say something" });
    const message = first.output.find((o) => o.type === "message");
    assert.ok(message?.id);
    await client.responses.create({
      model: "mock-gpt",
      input: [
        { role: "user", content: "say something" },
        { type: "item_reference", id: message.id },
        { role: "user", content: "and again [marker:ref]" },
      ],
    });
    const seen = upstreamMessages(gw, "ref");
    assert.equal(seen[1]?.role, "assistant");
    assert.equal(seen[1]?.content, first.output_text);
  });

  it("reads and deletes a stored response; store: false keeps nothing", async () => {
    const kept = await client.responses.create({ model: "mock-gpt", input: "keep me" });
    const read = await client.responses.retrieve(kept.id);
    assert.equal(read.id, kept.id);
    assert.equal(read.output_text, kept.output_text);
    const deleted = await fetch(`${gw.httpUrl}/responses/${kept.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${KEYS.dev}` },
    });
    assert.deepEqual(await deleted.json(), { id: kept.id, object: "response", deleted: true });
    await assert.rejects(client.responses.retrieve(kept.id), OpenAI.NotFoundError);

    const unkept = await client.responses.create({ model: "mock-gpt", input: "forget me", store: false });
    assert.equal((unkept as unknown as { store: boolean }).store, false);
    await assert.rejects(client.responses.retrieve(unkept.id), OpenAI.NotFoundError);
    await assert.rejects(
      client.responses.create({ model: "mock-gpt", previous_response_id: unkept.id, input: "more" }),
      (err: unknown) => err instanceof OpenAI.NotFoundError && err.param === "previous_response_id",
    );
  });

  it("is a wall between tenants: another tenant's ids are not found, by every way in", async () => {
    const mine = await client.responses.create({ model: "mock-gpt", input: "tenant A's answer" });
    const item = mine.output.find((o) => o.type === "message");
    assert.ok(item?.id);
    await assert.rejects(other.responses.retrieve(mine.id), OpenAI.NotFoundError);
    const del = await fetch(`${gw.httpUrl}/responses/${mine.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${OTHER_TENANT_KEY}` },
    });
    assert.equal(del.status, 404);
    await assert.rejects(
      other.responses.create({ model: "mock-gpt", previous_response_id: mine.id, input: "steal" }),
      (err: unknown) => err instanceof OpenAI.NotFoundError && err.param === "previous_response_id",
    );
    await assert.rejects(
      other.responses.create({ model: "mock-gpt", input: [{ type: "item_reference", id: item.id }] }),
      (err: unknown) => err instanceof OpenAI.NotFoundError && err.param === "input[0]",
    );
    assert.equal((await client.responses.retrieve(mine.id)).id, mine.id, "still there for its tenant");
  });

  it("shows a stored response only to keys that may chat with its model", async () => {
    const claude = await client.responses.create({ model: "mock-claude", input: "for chat keys only" });
    // Same tenant, but only mock-gpt: the mock-claude transcript is not found, however asked for.
    const restricted = new OpenAI({ baseURL: gw.httpUrl, apiKey: KEYS.restricted, maxRetries: 0 });
    await assert.rejects(restricted.responses.retrieve(claude.id), OpenAI.NotFoundError);
    await assert.rejects(
      restricted.responses.create({ model: "mock-gpt", previous_response_id: claude.id, input: "more" }),
      (err: unknown) => err instanceof OpenAI.NotFoundError && err.param === "previous_response_id",
    );
    const item = claude.output[0]!;
    await assert.rejects(
      restricted.responses.create({ model: "mock-gpt", input: [{ type: "item_reference", id: item.id! }] }),
      (err: unknown) => err instanceof OpenAI.NotFoundError && err.param === "input[0]",
    );
    // The same reference works for a key that may use mock-claude.
    const ok = await client.responses.create({
      model: "mock-gpt",
      input: [{ type: "item_reference", id: item.id! }],
    });
    assert.equal(ok.status, "completed");
    // A key without the chat scope reads nothing stored.
    const admin = new OpenAI({ baseURL: gw.httpUrl, apiKey: KEYS.admin, maxRetries: 0 });
    await assert.rejects(admin.responses.retrieve(claude.id), OpenAI.PermissionDeniedError);
  });

  it("bounds what references bring: ids of any length or none, reference counts, sizes", async () => {
    const get = (id: string) =>
      fetch(`${gw.httpUrl}/responses/${id}`, { headers: { authorization: `Bearer ${KEYS.dev}` } });
    assert.equal((await get("a".repeat(5_000))).status, 404);
    await assert.rejects(
      client.responses.create({ model: "mock-gpt", previous_response_id: "", input: "x" }),
      (err: unknown) => err instanceof OpenAI.NotFoundError && err.param === "previous_response_id",
    );
    await assert.rejects(
      client.responses.create({ model: "mock-gpt", input: [{ type: "item_reference", id: "" }] }),
      (err: unknown) => err instanceof OpenAI.NotFoundError && err.param === "input[0]",
    );
    const big = await client.responses.create({ model: "mock-gpt", input: "say a lot [mock:words=2000]" });
    const item = big.output.find((o) => o.type === "message");
    assert.ok(item?.id);
    await assert.rejects(
      client.responses.create({
        model: "mock-gpt",
        input: Array.from({ length: 257 }, () => ({ type: "item_reference" as const, id: item.id })),
      }),
      (err: unknown) => err instanceof OpenAI.BadRequestError && err.param === "input",
    );
    // 256 references to a ~15 KB item: a small body that would become ~4 MB, past this gateway's 1 MB.
    await assert.rejects(
      client.responses.create({
        model: "mock-gpt",
        input: Array.from({ length: 256 }, () => ({ type: "item_reference" as const, id: item.id })),
      }),
      (err: unknown) => err instanceof OpenAI.APIError && err.status === 413 && err.param === "input",
    );
  });

  it("drops the oldest responses when the store is full, and goes on keeping new ones", async () => {
    const store = await openResponseStore(gw.nc, `${gw.prefix}-full`, {
      ttlSeconds: 3600,
      maxBytes: 200_000,
    });
    for (let i = 0; i < 40; i++)
      await store.save("t", {
        response: { id: `resp_${i}`, model: "m", output: [{ id: `msg_${i}`, text: "x".repeat(10_000) }] },
        conversation: ["y".repeat(10_000)],
      });
    assert.equal(await store.get("t", "resp_0"), undefined, "the oldest went");
    assert.notEqual(await store.get("t", "resp_39"), undefined, "the newest is kept");
  });

  it("keeps each item with its response's model, and still reads items kept bare before that", async () => {
    const prefix = `${gw.prefix}-items`;
    const store = await openResponseStore(gw.nc, prefix, { ttlSeconds: 3600, maxBytes: 1_000_000 });
    await store.save("t", {
      response: { id: "resp_1", model: "mock-claude", output: [{ id: "msg_1" }] },
      conversation: [],
    });
    assert.deepEqual(await store.item("t", "msg_1"), { item: { id: "msg_1" }, model: "mock-claude" });
    // An item as an earlier gateway kept it: bare, under its own key; no model to check.
    // (A KV put is a JetStream publish on the bucket's subject.)
    const bareKey = `$KV.${responsesBucketName(prefix)}.i.t.msg_0`;
    await jetstream(gw.nc).publish(bareKey, JSON.stringify({ id: "msg_0", type: "message" }));
    assert.deepEqual(await store.item("t", "msg_0"), {
      item: { id: "msg_0", type: "message" },
      model: undefined,
    });
    assert.equal(await store.item("u", "msg_1"), undefined, "another tenant's item");
  });

  it("lets the Vercel AI SDK's default (store: true) tool loop go on after reasoning and a call", async () => {
    // mock-compat answers reasoning text beside its tool call: step 2 then refers to it by id.
    const { steps, text } = await weatherToolLoop(
      aiProvider(gw.httpUrl, KEYS.dev)("mock-compat"),
      "think, then get the weather in Oslo [mock:reasoning=4,tools=1]",
    );
    assert.equal(steps.length, 2);
    assert.equal(steps[0]?.toolCalls[0]?.toolName, "get_weather");
    assert.match(text, /\w+/);
  });
});

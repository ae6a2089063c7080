// The Files API end to end: the official openai SDK uploads JSONL files to the gateway (into the
// JetStream object store on the test stack's NATS), lists, retrieves, downloads and deletes
// them; another tenant sees none of them; an upload past SWITCHYARD_FILES_MAX_BYTES gets 413 and
// leaves nothing; a purpose other than batch gets 400 naming `purpose`.
import assert from "node:assert/strict";
import { writeFileSync, createReadStream } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import OpenAI, { toFile } from "openai";
import { sha256Key } from "@switchyard/devkit";
import { tempDir } from "./harness/env.js";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";

const GLOBEX_KEY = "sy-test-files-globex";
const CHAT_ONLY_KEY = "sy-test-files-chat-only";
const MAX_BYTES = 256 * 1024;

const jsonl = (n: number, text = "hello"): string =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      custom_id: `req-${i}`,
      method: "POST",
      url: "/v1/chat/completions",
      body: { model: "mock-gpt", messages: [{ role: "user", content: `${text} ${i}` }] },
    }),
  ).join("\n") + "\n";

const isStatus = (status: number, message?: RegExp) => (err: unknown) =>
  err instanceof OpenAI.APIError &&
  err.status === status &&
  (message === undefined || message.test(err.message));

describe("Files API with the openai SDK", () => {
  let gw: GatewayUnderTest;
  let acme: OpenAI;
  let globex: OpenAI;
  let dir: string;

  before(async () => {
    gw = await startGateway({
      serviceEnv: { ingress: { SWITCHYARD_FILES_MAX_BYTES: String(MAX_BYTES) } },
      gatewayFile: (file) => {
        (file.tenants as unknown[]).push({ id: "globex" });
        (file.keys as unknown[]).push(
          { id: "globex-batches", tenant: "globex", hash: sha256Key(GLOBEX_KEY), scopes: ["batches"] },
          { id: "local-chat-only", tenant: "local", hash: sha256Key(CHAT_ONLY_KEY), scopes: ["chat"] },
        );
      },
    });
    acme = new OpenAI({ baseURL: gw.httpUrl, apiKey: KEYS.dev, maxRetries: 0 });
    globex = new OpenAI({ baseURL: gw.httpUrl, apiKey: GLOBEX_KEY, maxRetries: 0 });
    dir = tempDir("files");
  });
  after(() => gw?.stop());

  const onDisk = (name: string, content: string): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it("uploads, lists, retrieves, downloads and deletes a batch file", async () => {
    const content = jsonl(200, "héllo wörld");
    const uploaded = await acme.files.create({
      file: createReadStream(onDisk("input.jsonl", content)),
      purpose: "batch",
    });
    assert.match(uploaded.id, /^file-[A-Za-z0-9]{24}$/);
    assert.equal(uploaded.object, "file");
    assert.equal(uploaded.bytes, Buffer.byteLength(content));
    assert.equal(uploaded.filename, "input.jsonl");
    assert.equal(uploaded.purpose, "batch");
    assert.equal(uploaded.expires_at, uploaded.created_at + 30 * 86_400, "batch files expire in 30 days");
    assert.ok(Math.abs(uploaded.created_at - Date.now() / 1000) < 60);

    // A File whose form part comes before `purpose` and `expires_after`.
    const second = await acme.files.create({
      file: await toFile(Buffer.from(jsonl(3)), "second.jsonl"),
      purpose: "batch",
      expires_after: { anchor: "created_at", seconds: 7200 },
    });
    assert.equal(second.expires_at, second.created_at + 7200);

    const listed = await acme.files.list({ purpose: "batch" });
    assert.deepEqual(new Set(listed.data.map((f) => f.id)), new Set([uploaded.id, second.id]));
    const paged: string[] = [];
    for await (const f of acme.files.list({ limit: 1, order: "asc" })) paged.push(f.id);
    assert.deepEqual(paged.toSorted(), [uploaded.id, second.id].toSorted(), "each file once, page by page");

    const retrieved = await acme.files.retrieve(uploaded.id);
    assert.deepEqual(
      { id: retrieved.id, bytes: retrieved.bytes, filename: retrieved.filename, purpose: retrieved.purpose },
      { id: uploaded.id, bytes: uploaded.bytes, filename: "input.jsonl", purpose: "batch" },
    );
    const download = await acme.files.content(uploaded.id);
    assert.equal(await download.text(), content);

    assert.deepEqual(await acme.files.delete(uploaded.id), {
      id: uploaded.id,
      object: "file",
      deleted: true,
    });
    await assert.rejects(acme.files.retrieve(uploaded.id), isStatus(404, new RegExp(uploaded.id)));
    await assert.rejects(acme.files.content(uploaded.id), isStatus(404));
    await assert.rejects(acme.files.delete(uploaded.id), isStatus(404));
    assert.deepEqual(
      (await acme.files.list()).data.map((f) => f.id),
      [second.id],
    );
  });

  it("shows another tenant's file to no one else", async () => {
    const mine = await acme.files.create({
      file: await toFile(Buffer.from(jsonl(2)), "mine.jsonl"),
      purpose: "batch",
    });
    await assert.rejects(globex.files.retrieve(mine.id), isStatus(404, new RegExp(mine.id)));
    await assert.rejects(globex.files.content(mine.id), isStatus(404, new RegExp(mine.id)));
    await assert.rejects(globex.files.delete(mine.id), isStatus(404, new RegExp(mine.id)));
    assert.equal((await globex.files.list()).data.length, 0);
    // Still there for its owner.
    assert.equal(await (await acme.files.content(mine.id)).text(), jsonl(2));
  });

  it("needs a key with the batches scope", async () => {
    const chatOnly = new OpenAI({ baseURL: gw.httpUrl, apiKey: CHAT_ONLY_KEY, maxRetries: 0 });
    await assert.rejects(
      chatOnly.files.list(),
      (err: unknown) => err instanceof OpenAI.PermissionDeniedError,
    );
  });

  it("refuses a file past the upload limit with 413, keeping nothing", async () => {
    const before = (await acme.files.list()).data.length;
    const big = jsonl(Math.ceil(MAX_BYTES / 100));
    assert.ok(Buffer.byteLength(big) > MAX_BYTES);
    await assert.rejects(
      acme.files.create({ file: createReadStream(onDisk("big.jsonl", big)), purpose: "batch" }),
      isStatus(413),
    );
    await assert.rejects(
      acme.files.create({ file: await toFile(Buffer.from(big), "big.jsonl"), purpose: "batch" }),
      isStatus(413),
    );
    assert.equal((await acme.files.list()).data.length, before);
  });

  it("refuses purposes other than batch with 400 naming purpose", async () => {
    for (const purpose of ["fine-tune", "assistants"] as const) {
      await assert.rejects(
        acme.files.create({ file: await toFile(Buffer.from(jsonl(1)), "x.jsonl"), purpose }),
        (err: unknown) =>
          err instanceof OpenAI.BadRequestError &&
          (err.error as { param?: string }).param === "purpose" &&
          /only `batch`/.test(err.message),
      );
    }
  });
});

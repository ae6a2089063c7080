import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { Readable } from "node:stream";
import { after, before, beforeEach, describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import {
  GatewayError,
  createLogger,
  listPage,
  sendJson,
  type ObjectFileStore,
  type StoredFile,
} from "@switchyard/common";
import { KeyInfoSchema, type KeyInfo } from "@switchyard/proto";
import { BATCH_FILE_EXPIRY_SECONDS, createFilesApi, listOptions, uploadFields } from "./files-api.js";

const fields = (entries: Record<string, string>) => new Map(Object.entries(entries));
const isBadField = (field: string, message?: RegExp) => (err: unknown) =>
  err instanceof GatewayError &&
  err.code === "invalid_argument" &&
  err.field === field &&
  (message === undefined || message.test(err.message));

describe("uploadFields", () => {
  it("takes batch files, expiring in 30 days unless told otherwise", () => {
    assert.deepEqual(uploadFields(fields({ purpose: "batch" }), true), {
      purpose: "batch",
      expiresAfterSeconds: BATCH_FILE_EXPIRY_SECONDS,
    });
    const expiry = { "expires_after[anchor]": "created_at", "expires_after[seconds]": "3600" };
    assert.equal(uploadFields(fields({ purpose: "batch", ...expiry }), true).expiresAfterSeconds, 3600);
  });

  it("waits for a purpose that may follow the file, then requires it", () => {
    assert.equal(uploadFields(fields({}), false).purpose, undefined);
    assert.throws(() => uploadFields(fields({}), true), isBadField("purpose", /only `batch`/));
  });

  it("refuses other purposes at once, naming purpose and saying only batch is supported", () => {
    for (const complete of [false, true]) {
      assert.throws(
        () => uploadFields(fields({ purpose: "fine-tune" }), complete),
        isBadField("purpose", /"fine-tune".*only `batch`/),
      );
    }
  });

  it("keeps expiries within an hour and 30 days, anchored at created_at", () => {
    for (const seconds of ["3599", "2592001", "1e4", "-3600", "", "3600.5"]) {
      assert.throws(
        () => uploadFields(fields({ purpose: "batch", "expires_after[seconds]": seconds }), true),
        isBadField("expires_after[seconds]"),
      );
    }
    assert.equal(
      uploadFields(fields({ purpose: "batch", "expires_after[seconds]": "2592000" }), true)
        .expiresAfterSeconds,
      2_592_000,
    );
    assert.throws(
      () => uploadFields(fields({ "expires_after[anchor]": "last_active_at" }), false),
      isBadField("expires_after[anchor]"),
    );
    assert.throws(
      () => uploadFields(fields({ purpose: "batch", "expires_after[anchor]": "created_at" }), true),
      isBadField("expires_after[seconds]"),
    );
  });
});

describe("listOptions", () => {
  it("defaults to the newest 10000", () => {
    assert.deepEqual(listOptions(new URLSearchParams()), { limit: 10_000, order: "desc" });
    assert.deepEqual(listOptions(new URLSearchParams("purpose=batch&after=file-x&limit=5&order=asc")), {
      limit: 5,
      order: "asc",
      purpose: "batch",
      after: "file-x",
    });
  });

  it("names the bad parameter", () => {
    for (const limit of ["0", "10001", "ten", "-1", "2.5"]) {
      assert.throws(() => listOptions(new URLSearchParams({ limit })), isBadField("limit"));
    }
    assert.throws(() => listOptions(new URLSearchParams({ order: "newest" })), isBadField("order"));
  });
});

/** The store in memory: what the route hands it, and what it would keep. */
function memoryStore(): ObjectFileStore & { files: Map<string, { file: StoredFile; bytes: Buffer }> } {
  const files = new Map<string, { file: StoredFile; bytes: Buffer }>();
  const own = (tenantId: string, id: string) => {
    const entry = files.get(id);
    return entry?.file.tenantId === tenantId ? entry : undefined;
  };
  return {
    files,
    async put(newFile, body, maxBytes) {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of body) {
        size += chunk.byteLength;
        if (size > maxBytes) throw new GatewayError("payload_too_large", `over ${maxBytes} bytes`);
        chunks.push(Buffer.from(chunk));
      }
      const n = files.size + 1;
      const file = {
        ...newFile,
        id: `file-${String(n).padStart(24, "0")}`,
        bytes: size,
        createdAt: 1_800_000_000 + n,
      };
      files.set(file.id, { file, bytes: Buffer.concat(chunks) });
      return file;
    },
    info: (tenantId, id) => Promise.resolve(own(tenantId, id)?.file),
    list: (tenantId, opts) => {
      const all = [...files.values()].map((e) => e.file);
      return Promise.resolve(listPage(all, tenantId, opts, 0));
    },
    read: (tenantId, id) => {
      const entry = own(tenantId, id);
      return Promise.resolve(entry && Readable.from([entry.bytes]));
    },
    delete: (tenantId, id) => Promise.resolve(own(tenantId, id) !== undefined && files.delete(id)),
    update: (tenantId, id, changes) => {
      const entry = own(tenantId, id);
      if (entry !== undefined) entry.file = { ...entry.file, ...changes };
      return Promise.resolve(entry?.file);
    },
    sweepExpired: () => Promise.resolve(0),
  };
}

const KEYS: Record<string, KeyInfo> = {
  acme: create(KeyInfoSchema, { id: "k1", tenantId: "acme", status: "active", scopes: ["chat", "batches"] }),
  globex: create(KeyInfoSchema, { id: "k2", tenantId: "globex", status: "active", scopes: ["batches"] }),
  chatOnly: create(KeyInfoSchema, { id: "k3", tenantId: "acme", status: "active", scopes: ["chat"] }),
};
const LIMIT = 64 * 1024;
const JSONL = '{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{}}\n';

describe("the Files API routes", () => {
  const store = memoryStore();
  let server: Server;
  let base: string;

  before(async () => {
    const api = createFilesApi({ store, maxUploadBytes: LIMIT, log: createLogger("test", "silent") });
    // The door's part: the key, then the API, and errors as OpenAI's JSON.
    server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      const key = KEYS[req.headers.authorization ?? ""] ?? KEYS.acme!;
      const path = url.pathname.replace(/\/+$/, "");
      const call = { req, res, key, method: req.method ?? "GET", path, url, requestId: "req-1" };
      api.handle(call).catch((err: unknown) => {
        const e = GatewayError.from(err);
        if (!res.headersSent) sendJson(res, e.httpStatus, e.toOpenAI(), e.headers);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/files`;
  });
  after(() => server.close());
  beforeEach(() => store.files.clear());

  const upload = (parts: [string, string | Blob][], key = "acme") => {
    const form = new FormData();
    for (const [name, value] of parts) {
      if (typeof value === "string") form.append(name, value);
      else form.append(name, value, "input.jsonl");
    }
    return fetch(base, { method: "POST", body: form, headers: { authorization: key } });
  };
  const error = async (res: Response) =>
    ((await res.json()) as { error: { param: string | null; message: string } }).error;

  it("stores the file whichever comes first, the file or its fields", async () => {
    const file = new Blob([JSONL]);
    const expiry: [string, string][] = [
      ["expires_after[anchor]", "created_at"],
      ["expires_after[seconds]", "7200"],
    ];
    for (const parts of [
      [["purpose", "batch"], ...expiry, ["file", file]],
      [["file", file], ["purpose", "batch"], ...expiry],
    ] as [string, string | Blob][][]) {
      const res = await upload(parts);
      assert.equal(res.status, 200);
      const body = (await res.json()) as Record<string, unknown>;
      assert.equal(body.object, "file");
      assert.equal(body.bytes, JSONL.length);
      assert.equal(body.filename, "input.jsonl");
      assert.equal(body.purpose, "batch");
      assert.equal(body.status, "processed");
      assert.equal(body.expires_at, (body.created_at as number) + 7200);
    }
    assert.equal(store.files.size, 2);
  });

  it("refuses another purpose, before or after the file, keeping nothing", async () => {
    const file = new Blob([JSONL]);
    for (const parts of [
      [
        ["purpose", "assistants"],
        ["file", file],
      ],
      [
        ["file", file],
        ["purpose", "assistants"],
      ],
      [["file", file]],
    ] as [string, string | Blob][][]) {
      const res = await upload(parts);
      assert.equal(res.status, 400);
      const err = await error(res);
      assert.equal(err.param, "purpose");
      assert.match(err.message, /only `batch`/);
    }
    assert.equal(store.files.size, 0);
  });

  it("answers 413 past the upload limit, keeping nothing, in either order", async () => {
    const big = new Blob([JSONL.repeat(Math.ceil((LIMIT + 1) / JSONL.length))]);
    for (const parts of [
      [
        ["purpose", "batch"],
        ["file", big],
      ],
      [
        ["file", big],
        ["purpose", "batch"],
      ],
    ] as [string, string | Blob][][]) {
      const res = await upload(parts);
      assert.equal(res.status, 413);
      assert.equal((await error(res)).param, null);
    }
    assert.equal(store.files.size, 0);
  });

  it("refuses an empty or non-JSONL batch file", async () => {
    for (const content of ["", " \n", "custom_id,body\n"]) {
      const res = await upload([
        ["purpose", "batch"],
        ["file", new Blob([content])],
      ]);
      assert.equal(res.status, 400);
      assert.equal((await error(res)).param, "file");
    }
    assert.equal(store.files.size, 0);
  });

  it("lists, retrieves, downloads and deletes the tenant's files; others get 404", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await upload([
        ["purpose", "batch"],
        ["file", new Blob([JSONL.repeat(i + 1)])],
      ]);
      ids.push(((await res.json()) as { id: string }).id);
    }
    const page = (await (await fetch(`${base}?limit=2`)).json()) as Record<string, unknown>;
    assert.deepEqual(
      (page.data as { id: string }[]).map((f) => f.id),
      [ids[2], ids[1]],
    );
    assert.deepEqual(
      [page.object, page.first_id, page.last_id, page.has_more],
      ["list", ids[2], ids[1], true],
    );
    const rest = (await (await fetch(`${base}?limit=2&after=${ids[1]}`)).json()) as Record<string, unknown>;
    assert.deepEqual([rest.first_id, rest.has_more], [ids[0], false]);

    const id = ids[1]!;
    assert.equal(
      ((await (await fetch(`${base}/${id}`)).json()) as { bytes: number }).bytes,
      JSONL.length * 2,
    );
    const content = await fetch(`${base}/${id}/content`);
    assert.equal(content.headers.get("content-type"), "application/jsonl");
    assert.equal(await content.text(), JSONL.repeat(2));

    const globex = { headers: { authorization: "globex" } };
    for (const [path, method] of [
      [id, "GET"],
      [`${id}/content`, "GET"],
      [id, "DELETE"],
    ] as const) {
      const res = await fetch(`${base}/${path}`, { ...globex, method });
      assert.equal(res.status, 404);
      assert.match((await error(res)).message, new RegExp(id));
    }
    assert.equal(((await (await fetch(base, globex)).json()) as { data: [] }).data.length, 0);

    assert.deepEqual(await (await fetch(`${base}/${id}`, { method: "DELETE" })).json(), {
      id,
      object: "file",
      deleted: true,
    });
    assert.equal((await fetch(`${base}/${id}`)).status, 404);
    assert.equal((await fetch(`${base}/${id}/content`)).status, 404);
  });

  it("needs the batches scope, and says which methods a path takes", async () => {
    const res = await fetch(base, { headers: { authorization: "chatOnly" } });
    assert.equal(res.status, 403);
    const put = await fetch(`${base}/file-x`, { method: "PUT" });
    assert.equal(put.status, 400);
    assert.equal(put.headers.get("allow"), "GET, DELETE");
    assert.equal((await fetch(`${base}/file-x/other`)).status, 404);
  });
});

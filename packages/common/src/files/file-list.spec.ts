import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GatewayError } from "../errors.js";
import { isExpired, listPage } from "./file-list.js";
import type { FileListOptions, StoredFile } from "./file-store.js";

const NOW = 1_800_000_000;

function file(id: string, createdAt: number, fields: Partial<StoredFile> = {}): StoredFile {
  return {
    id,
    tenantId: "acme",
    bytes: 10,
    createdAt,
    expiresAt: null,
    filename: `${id}.jsonl`,
    purpose: "batch",
    ...fields,
  };
}

// Two files created in the same second (ordered by id), one of another tenant, one expired,
// one of another purpose.
const FILES = [
  file("file-c", NOW - 30),
  file("file-a", NOW - 10),
  file("file-b", NOW - 10),
  file("file-d", NOW - 20, { tenantId: "globex" }),
  file("file-e", NOW - 40, { expiresAt: NOW }),
  file("file-f", NOW - 5, { purpose: "batch_output" }),
];

const ids = (opts: Partial<FileListOptions>, tenant = "acme"): string[] =>
  listPage(FILES, tenant, { limit: 100, order: "desc", ...opts }, NOW).map((f) => f.id);

describe("listPage", () => {
  it("lists the tenant's live files newest first, same-second files by id", () => {
    assert.deepEqual(ids({}), ["file-f", "file-b", "file-a", "file-c"]);
    assert.deepEqual(ids({ order: "asc" }), ["file-c", "file-a", "file-b", "file-f"]);
    assert.deepEqual(ids({}, "globex"), ["file-d"]);
    assert.deepEqual(ids({}, "nobody"), []);
  });

  it("filters by purpose and limits", () => {
    assert.deepEqual(ids({ purpose: "batch" }), ["file-b", "file-a", "file-c"]);
    assert.deepEqual(ids({ purpose: "batch_output" }), ["file-f"]);
    assert.deepEqual(ids({ limit: 2 }), ["file-f", "file-b"]);
  });

  it("continues after the cursor in the chosen order, across a same-second tie", () => {
    assert.deepEqual(ids({ after: "file-b" }), ["file-a", "file-c"]);
    assert.deepEqual(ids({ after: "file-a", order: "asc" }), ["file-b", "file-f"]);
    assert.deepEqual(ids({ after: "file-c" }), []);
    // Paging by one visits every file once.
    const seen: string[] = [];
    for (let after: string | undefined; ;) {
      const page = ids({ limit: 1, order: "asc", ...(after === undefined ? {} : { after }) });
      if (page.length === 0) break;
      seen.push(...page);
      after = page.at(-1);
    }
    assert.deepEqual(seen, ["file-c", "file-a", "file-b", "file-f"]);
  });

  it("places the cursor at a file the purpose filter or its expiry hides", () => {
    assert.deepEqual(ids({ after: "file-f", purpose: "batch" }), ["file-b", "file-a", "file-c"]);
    assert.deepEqual(ids({ after: "file-e", order: "asc" }), ["file-c", "file-a", "file-b", "file-f"]);
  });

  it("refuses a cursor the tenant does not have, naming `after`", () => {
    for (const after of ["file-zzz", "file-d"]) {
      assert.throws(
        () => ids({ after }),
        (err: unknown) =>
          err instanceof GatewayError && err.code === "invalid_argument" && err.field === "after",
      );
    }
  });
});

describe("isExpired", () => {
  it("is true from the expiry second on, never for files without one", () => {
    assert.equal(isExpired({ expiresAt: NOW + 1 }, NOW), false);
    assert.equal(isExpired({ expiresAt: NOW }, NOW), true);
    assert.equal(isExpired({ expiresAt: null }, NOW), false);
  });
});

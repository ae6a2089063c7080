// The OpenAPI document says what the admin API does: every route is in it, and every
// operation in it is a route.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { ROUTES } from "./server.js";

describe("admin API OpenAPI document", () => {
  it("lists exactly the routes the server has", () => {
    const doc = parse(readFileSync(join(import.meta.dirname, "..", "..", "openapi.yaml"), "utf8")) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) =>
        Object.keys(ops)
          .filter((m) => ["get", "post", "patch", "put", "delete"].includes(m))
          .map((m) => `${m.toUpperCase()} /admin/v1${path}`),
      )
      .filter((op) => op !== "GET /admin/v1/openapi.yaml")
      .sort();
    // A route's pattern, written the way the document writes it: one {param} per group.
    const served = ROUTES.map(([method, re]) => {
      let i = 0;
      const path = re.source
        .replace(/^\^/, "")
        .replace(/\$$/, "")
        .replace(/\\\//g, "/")
        .replace(/\([^)]*\)/g, () => (i++ === 0 && re.source.includes("usage") ? "{kind}" : "{id}"));
      return `${method} ${path}`;
    }).sort();
    assert.deepEqual(served, documented);
  });
});

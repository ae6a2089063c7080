import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GatewayError } from "@switchyard/common";
import { MAX_BUCKETS, parseParams, rangeOf } from "./params.js";

const qs = (s: string): URLSearchParams => new URLSearchParams(s);

/** Asserts a 400 naming `field`. */
function rejects(fn: () => unknown, field: string, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof GatewayError, String(err));
    assert.equal(err.code, "invalid_argument");
    assert.equal(err.httpStatus, 400);
    assert.equal(err.field, field, err.message);
    assert.ok(err.message.startsWith(`${field}: `), err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe("query API parameters", () => {
  it("reads a usage question with defaults", () => {
    const p = parseParams("usage", qs("from=2025-01-01&to=2025-01-02T00:00:00Z&group_by=team,model"));
    assert.deepEqual(p, {
      from: "2025-01-01",
      to: "2025-01-02T00:00:00Z",
      granularity: "hour",
      group_by: ["team", "model"],
    });
    assert.equal(parseParams("top-keys", qs("")).limit, 10);
    assert.equal(parseParams("top-keys", qs("by=requests&limit=100")).by, "requests");
  });

  it("names the bad field", () => {
    rejects(() => parseParams("usage", qs("granularity=week")), "granularity");
    rejects(
      () => parseParams("usage", qs("group_by=tenant_id")),
      "group_by",
      /tenant, team, key, model, deployment/,
    );
    rejects(() => parseParams("usage", qs("group_by=model,model")), "group_by", /twice/);
    rejects(() => parseParams("latency", qs("group_by=team")), "group_by", /model, deployment/);
    rejects(() => parseParams("usage", qs("from=yesterday")), "from", /ISO 8601/);
    rejects(() => parseParams("usage", qs("to=2025-01-01T00:00:00")), "to", /zone/);
    rejects(() => parseParams("usage", qs("tenant=a&tenant=b")), "tenant", /more than once/);
    rejects(() => parseParams("usage", qs("colour=blue")), "colour", /unknown parameter/);
    rejects(() => parseParams("guard", qs("model=x")), "model", /unknown parameter/);
    rejects(() => parseParams("top-keys", qs("limit=0")), "limit");
    rejects(() => parseParams("top-keys", qs("limit=101")), "limit");
    rejects(() => parseParams("top-keys", qs("limit=1e2")), "limit");
    rejects(() => parseParams("top-keys", qs("by=latency")), "by");
    rejects(() => parseParams("usage", qs("model=")), "model");
    rejects(() => parseParams("usage", qs(`model=${"m".repeat(257)}`)), "model");
  });

  it("refuses injection where only ids or names belong", () => {
    for (const bad of ["x' OR '1'='1", "a;DROP", "a b", "../x", "a\\", "a\0", "ü"]) {
      rejects(() => parseParams("usage", new URLSearchParams({ tenant: bad })), "tenant");
      rejects(() => parseParams("usage", new URLSearchParams({ key: bad })), "key");
      rejects(() => parseParams("usage", new URLSearchParams({ group_by: bad })), "group_by");
      rejects(() => parseParams("usage", new URLSearchParams({ granularity: bad })), "granularity");
      rejects(() => parseParams("usage", new URLSearchParams({ from: bad })), "from");
      rejects(() => parseParams("top-keys", new URLSearchParams({ by: bad })), "by");
      rejects(() => parseParams("top-keys", new URLSearchParams({ limit: bad })), "limit");
    }
    // Model names are free text: accepted here, escaped into SQL.
    assert.equal(parseParams("usage", qs("model=%27%29%3B+DROP")).model, "'); DROP");
  });

  it("widens the range to whole buckets and bounds it", () => {
    const t = Date.parse("2025-03-10T10:30:00Z") / 1000;
    const r = rangeOf({ from: "2025-03-10T10:30:00Z", to: "2025-03-10T12:00:01Z", granularity: "hour" });
    assert.deepEqual(r, { from: t - 1800, to: t + 9000, bucket: 3600, granularity: "hour" });
    const d = rangeOf({ to: "2025-03-10T10:30:15+01:00" }, 0);
    assert.equal(d.to - d.from, 86_400 + 60, "a day before `to`, to whole minutes");
    assert.equal(d.bucket, undefined);
    const now = Date.parse("2025-03-10T10:30:15Z");
    assert.equal(rangeOf({ granularity: "minute" }, now).to, now / 1000 + 45);
    rejects(() => rangeOf({ from: "2025-03-10", to: "2025-03-10" }), "from", /before `to`/);
    rejects(() => rangeOf({ from: "2025-01-01", to: "2025-04-04", granularity: "day" }), "from", /92 days/);
    assert.equal(
      rangeOf({ from: "2025-01-01", to: "2025-04-03", granularity: "day" }).to,
      Date.parse("2025-04-03") / 1000,
    );
    rejects(
      () => rangeOf({ from: "2025-01-01", to: "2025-01-03", granularity: "minute" }),
      "granularity",
      /2880 minute buckets; at most 2208/,
    );
    assert.equal(MAX_BUCKETS, 2208);
    rejects(() => rangeOf({ from: "1969-12-31", to: "1970-01-02" }), "from", /1970/);
    rejects(() => rangeOf({ from: "2106-02-01", to: "2106-03-01" }), "to", /2106/);
  });
});

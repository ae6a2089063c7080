import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { GatewayError } from "@switchyard/common";
import { KeyInfoSchema, RequestKind, UsageEventSchema } from "@switchyard/proto";
import { Registry } from "prom-client";
import {
  createRefusals,
  doorRequest,
  keyHashPrefix,
  noteRequest,
  rejectedEventOf,
  tokenBucket,
} from "./refusals.js";

const SECRET = "sk-stolen-0123456789abcdef";

describe("rejectedEventOf", () => {
  it("names an unknown key by its hash prefix, never the key", () => {
    const req = doorRequest("http", RequestKind.CHAT);
    req.presentedKey = SECRET;
    noteRequest(req, { model: "gpt-x", user: "alice", messages: 3 });
    const err = new GatewayError("unauthenticated", "invalid API key");
    const event = create(UsageEventSchema, rejectedEventOf(req, err, "r1", req.receivedUnixMs + 2));
    const sha = createHash("sha256").update(SECRET).digest("hex");
    assert.equal(event.keyHashPrefix, sha.slice(0, 12));
    assert.equal(event.keyId, "");
    assert.equal(event.status, "unauthenticated");
    assert.equal(event.httpStatus, 401);
    assert.equal(event.model, "gpt-x");
    assert.equal(event.endUser, "alice");
    assert.equal(event.door, "http");
    assert.equal(event.finishedUnixMs - event.receivedUnixMs, 2n);
    const bytes = Buffer.from(toBinary(UsageEventSchema, event));
    assert.equal(bytes.indexOf(SECRET), -1);
    assert.equal(bytes.indexOf(sha), -1, "only a prefix of the hash");
  });

  it("names a known key by its ids, and none when no key was presented", () => {
    const known = doorRequest("grpc");
    known.presentedKey = SECRET;
    known.key = create(KeyInfoSchema, { id: "k1", tenantId: "t1", teamId: "team" });
    const e = rejectedEventOf(known, new GatewayError("permission_denied", "no"), "r2", 0);
    assert.deepEqual(
      [e.keyId, e.tenantId, e.teamId, e.keyHashPrefix, e.httpStatus],
      ["k1", "t1", "team", "", 403],
    );
    const none = rejectedEventOf(doorRequest("http"), new GatewayError("unauthenticated", "no key"), "r3", 0);
    assert.equal(none.keyHashPrefix, "");
  });

  it("keeps at most 256 characters of a model or user a client chose", () => {
    const req = doorRequest("http");
    noteRequest(req, { model: "m".repeat(10_000), user: 7 });
    assert.equal(req.model.length, 256);
    assert.equal(req.endUser, "");
    assert.equal(keyHashPrefix("").length, 12);
  });
});

describe("tokenBucket", () => {
  it("allows a second's worth at once, then the rate", () => {
    let t = 0;
    const bucket = tokenBucket(10, () => t);
    let taken = 0;
    for (let i = 0; i < 50; i++) if (bucket.take()) taken++;
    assert.equal(taken, 10);
    t += 500; // half a second: five more
    taken = 0;
    for (let i = 0; i < 50; i++) if (bucket.take()) taken++;
    assert.equal(taken, 5);
    t += 60_000; // a long pause refills no more than a second's worth
    taken = 0;
    for (let i = 0; i < 50; i++) if (bucket.take()) taken++;
    assert.equal(taken, 10);
  });
});

describe("createRefusals", () => {
  it("publishes within the cap, counts every refusal by status and the rest as dropped", async () => {
    const published: string[] = [];
    const registry = new Registry();
    const refusals = createRefusals({
      events: { rejected: (e) => published.push(e.requestId ?? "") },
      perSecond: 3,
      registry,
      now: () => 0,
    });
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const id = refusals.record(doorRequest("http"), new GatewayError("unauthenticated", "x"));
      assert.ok(id !== undefined);
      ids.add(id);
    }
    refusals.record(doorRequest("grpc"), new GatewayError("not_found", "x"));
    assert.equal(ids.size, 5, "each refusal has an id of its own");
    assert.equal(published.length, 3);
    const text = await registry.metrics();
    assert.match(text, /switchyard_rejected_requests_total\{door="http",status="unauthenticated"\} 5/);
    assert.match(text, /switchyard_rejected_requests_total\{door="grpc",status="not_found"\} 1/);
    assert.match(text, /switchyard_rejected_events_dropped_total 3/);
  });

  it("records nothing for a request the pipeline took (its usage event tells)", async () => {
    const published: unknown[] = [];
    const registry = new Registry();
    const refusals = createRefusals({
      events: { rejected: (e) => published.push(e) },
      perSecond: 5,
      registry,
    });
    const req = doorRequest("http");
    req.entered = true;
    assert.equal(refusals.record(req, new GatewayError("rate_limited", "x")), undefined);
    assert.equal(published.length, 0);
    assert.doesNotMatch(await registry.metrics(), /switchyard_rejected_requests_total\{/);
  });
});

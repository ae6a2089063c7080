import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { ChatRequestSchema } from "@switchyard/proto";
import { parseMetadataHeader, routeHintsOf } from "./route-hints.js";

describe("route hints", () => {
  it("reads tools, images, the end user and metadata, the header's pairs winning", () => {
    const chat = create(ChatRequestSchema, {
      user: "u-1",
      metadata: { tier: "silver", app: "search" },
      tools: [{ type: "function", function: { name: "lookup" } }],
      messages: [
        { role: "user", content: [{ part: { case: "imageUrl", value: { url: "https://x/y.png" } } }] },
      ],
    });
    const hints = routeHintsOf(chat, parseMetadataHeader("tier=gold, region = eu"));
    assert.equal(hints.tools, true);
    assert.equal(hints.images, true);
    assert.equal(hints.endUser, "u-1");
    assert.deepEqual({ ...hints.metadata }, { tier: "gold", app: "search", region: "eu" });
    assert.equal(routeHintsOf(create(ChatRequestSchema, {})).tools, false);
  });

  it("refuses a malformed metadata header, naming it", () => {
    assert.equal(parseMetadataHeader(undefined), undefined);
    assert.throws(() => parseMetadataHeader("tier"), /x-switchyard-metadata: "tier" is not key=value/);
    assert.throws(() => parseMetadataHeader("=x"), /not key=value/);
    assert.throws(
      () => parseMetadataHeader(Array.from({ length: 17 }, (_, i) => `k${i}=v`).join(",")),
      /more than 16/,
    );
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { getTextEncoding } from "@bufbuild/protobuf/wire";
import { StageTimingSchema } from "@switchyard/proto";
import { useFastTextEncoding } from "./text-encoding.js";

describe("fast text encoding", () => {
  it("gives the same bytes as TextEncoder for ASCII, other scripts, emoji and lone surrogates", () => {
    const standard = new TextEncoder();
    useFastTextEncoding();
    const fast = getTextEncoding();
    for (const text of [
      "",
      "guard",
      "sy.v1.inbox.1x2.r.abc",
      "héllo",
      "日本語",
      "😀 ok",
      "\ud800x",
      "a\u007fb\u0080",
    ]) {
      assert.deepEqual(fast.encodeUtf8(text), standard.encode(text), JSON.stringify(text));
      // Through protobuf and back: what TextEncoder and TextDecoder would give.
      const msg = create(StageTimingSchema, { stage: text });
      const roundTrip = new TextDecoder().decode(standard.encode(text));
      assert.equal(fromBinary(StageTimingSchema, toBinary(StageTimingSchema, msg)).stage, roundTrip);
    }
  });
});

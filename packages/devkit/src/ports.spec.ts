import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { freePort } from "./ports.js";

void describe("freePort", () => {
  void it("never hands out the same port twice", async () => {
    const ports: number[] = [];
    for (let i = 0; i < 200; i++) ports.push(await freePort());
    assert.equal(new Set(ports).size, ports.length);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GatewayError } from "@switchyard/common";
import { tenantScope } from "./access.js";

const key = (tenantId: string, ...scopes: string[]) => ({ tenantId, scopes });
const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof GatewayError);
    return `${err.httpStatus} ${err.code}`;
  }
  return "ok";
};

describe("whose analytics a key reads", () => {
  it("lets admin keys read every tenant or the one they name", () => {
    assert.equal(tenantScope(key("ops", "admin"), undefined), undefined);
    assert.equal(tenantScope(key("ops", "admin"), "acme"), "acme");
  });

  it("walls a tenant admin into its own tenant: another is not found", () => {
    assert.equal(tenantScope(key("acme", "tenant_admin"), undefined), "acme");
    assert.equal(tenantScope(key("acme", "tenant_admin", "chat"), "acme"), "acme");
    assert.equal(
      code(() => tenantScope(key("acme", "tenant_admin"), "globex")),
      "404 not_found",
    );
  });

  it("refuses other keys, still without telling another tenant exists", () => {
    assert.equal(
      code(() => tenantScope(key("acme", "chat"), undefined)),
      "403 permission_denied",
    );
    assert.equal(
      code(() => tenantScope(key("acme", "chat"), "acme")),
      "403 permission_denied",
    );
    assert.equal(
      code(() => tenantScope(key("acme", "chat"), "globex")),
      "404 not_found",
    );
  });
});

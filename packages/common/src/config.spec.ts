import assert from "node:assert/strict";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { z } from "zod";
import { ConfigError, env, loadEnv, settings } from "./config.js";
import { loadGatewayConfig, resolveProviderSecrets } from "./gateway-config.js";

describe("loadEnv", () => {
  const spec = {
    port: env("X_PORT", settings.port().default(80)),
    name: env("X_NAME", z.string()),
  };

  it("applies defaults and coerces types", () => {
    const cfg = loadEnv(spec, { X_NAME: "a" });
    assert.deepEqual({ ...cfg }, { port: 80, name: "a" });
    assert.equal(Object.isFrozen(cfg), true);
  });

  it("reports every bad variable by name", () => {
    assert.throws(
      () => loadEnv(spec, { X_PORT: "http" }),
      (err: unknown) =>
        err instanceof ConfigError &&
        /X_PORT: .*"http"/.test(err.message) &&
        /X_NAME: .*\(not set\)/.test(err.message),
    );
  });
});

describe("gateway file", () => {
  const dir = mkdtempSync(join(tmpdir(), "sy-cfg-"));
  const write = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it("rejects unknown keys, naming their path", () => {
    const p = write("a.yaml", "tenants: [{id: t}]\nmodles: []\n");
    assert.throws(() => loadGatewayConfig(p), /a\.yaml: modles: unknown key/);
  });

  it("rejects references to unknown tenants and providers", () => {
    const p = write(
      "b.yaml",
      `keys: [{id: k, tenant: nobody, hash: "sha256:${"0".repeat(64)}"}]\nmodels: [{alias: m, deployments: [{id: d, provider: ghost, model: x}]}]\n`,
    );
    assert.throws(
      () => loadGatewayConfig(p),
      (err: unknown) =>
        err instanceof ConfigError &&
        /keys\[0\]\.tenant: unknown tenant "nobody"/.test(err.message) &&
        /models\[0\]\.deployments\[0\]\.provider: unknown provider "ghost"/.test(err.message),
    );
  });

  it("reads provider secrets from the variables the file names", () => {
    const p = write(
      "c.yaml",
      "providers:\n  oa: {type: openai, base_url: 'http://x', api_key_env: OA_KEY}\n",
    );
    const cfg = loadGatewayConfig(p);
    assert.equal(resolveProviderSecrets(cfg, { OA_KEY: "s3cret" }).get("oa")?.apiKey, "s3cret");
    assert.throws(
      () => resolveProviderSecrets(cfg, {}),
      /providers\.oa\.api_key_env: environment variable OA_KEY is not set/,
    );
  });
});

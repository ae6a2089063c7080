// Bad configuration stops a service at start with a message naming the bad key.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { LOCAL_SECRETS, createCluster, localGatewayConfig, writeGatewayConfig } from "@switchyard/devkit";
import { repoRoot, tempDir, testStack, uniquePrefix } from "./harness/env.js";
import { runServiceToExit } from "./harness/run-service.js";

const dir = tempDir("config");
const good = join(dir, "good.yaml");
writeGatewayConfig(good, localGatewayConfig({ mockUrl: "http://127.0.0.1:1", keys: { dev: { key: "k" } } }));

describe("configuration errors at start", () => {
  it("names an environment variable with the wrong type", async () => {
    const r = await runServiceToExit("router", {
      SWITCHYARD_CONFIG: good,
      SWITCHYARD_METRICS_PORT: "eighty",
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /SWITCHYARD_METRICS_PORT: .*"eighty"/);
  });

  it("names an unknown key in the gateway file with its path", async () => {
    const cfg = localGatewayConfig({ mockUrl: "http://127.0.0.1:1", keys: { dev: { key: "k" } } });
    const providers = cfg.providers as Record<string, Record<string, unknown>>;
    providers["mock-openai"]!.bse_url = "http://typo";
    const path = join(dir, "unknown-key.yaml");
    writeGatewayConfig(path, cfg);
    const r = await runServiceToExit("guard", { SWITCHYARD_CONFIG: path });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /providers\.mock-openai\.bse_url: unknown key/);
  });

  it("names a value of the wrong type in the gateway file", async () => {
    const path = join(dir, "wrong-type.yaml");
    writeFileSync(path, "keys:\n  - id: a\n    tenant: t\n    hash: sha256:00\n    rpm: lots\n");
    const r = await runServiceToExit("meter", { SWITCHYARD_CONFIG: path });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /keys\[0\]\.hash/);
    assert.match(r.stderr, /keys\[0\]\.rpm/);
  });

  it("names a missing secret: the config key and the environment variable", async () => {
    const env: NodeJS.ProcessEnv = { SWITCHYARD_CONFIG: good, ...LOCAL_SECRETS };
    delete env.MOCK_ANTHROPIC_API_KEY;
    const r = await runServiceToExit("provider", env);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /providers\.mock-anthropic\.api_key_env: environment variable MOCK_ANTHROPIC_API_KEY is not set/,
    );
  });

  it("names an unknown inline stage", async () => {
    const r = await runServiceToExit("ingress", {
      SWITCHYARD_CONFIG: good,
      SWITCHYARD_INLINE_STAGES: "guard,cache",
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /SWITCHYARD_INLINE_STAGES/);
    assert.match(r.stderr, /cache/);
  });

  it("names a missing secret of an inline provider in ingress", async () => {
    const env: NodeJS.ProcessEnv = {
      SWITCHYARD_CONFIG: good,
      SWITCHYARD_INLINE_STAGES: "provider",
      ...LOCAL_SECRETS,
    };
    delete env.MOCK_GEMINI_API_KEY;
    const r = await runServiceToExit("ingress", env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /api_key_env: environment variable MOCK_GEMINI_API_KEY is not set/);
  });

  it("names a missing config file", async () => {
    const r = await runServiceToExit("router", { SWITCHYARD_CONFIG: join(dir, "nope.yaml") });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /nope\.yaml: cannot read the config file/);
  });
});

describe("resources NATS cannot give", () => {
  it("names the settings when the Responses store is larger than JetStream can reserve", async () => {
    const r = await runServiceToExit("ingress", {
      ...LOCAL_SECRETS,
      SWITCHYARD_CONFIG: good,
      SWITCHYARD_NATS_URL: testStack().natsUrl,
      SWITCHYARD_SUBJECT_PREFIX: uniquePrefix(),
      SWITCHYARD_METRICS_PORT: "0",
      SWITCHYARD_HTTP_PORT: "0",
      SWITCHYARD_GRPC_PORT: "0",
      // 1 PiB: more than any test machine's disk.
      SWITCHYARD_RESPONSES_MAX_BYTES: String(2 ** 50),
    });
    assert.notEqual(r.code, 0);
    const out = r.stdout + r.stderr;
    assert.match(out, /insufficient storage/);
    assert.match(out, /SWITCHYARD_RESPONSES_MAX_BYTES/);
    assert.match(out, /SWITCHYARD_RESPONSES_TTL_SECONDS=0/);
  });
});

describe("the launcher", () => {
  it("carries a service's last log lines in the error when it exits before it is ready", async () => {
    const cluster = createCluster({
      root: repoRoot(),
      logDir: join(dir, "launcher-logs"),
      metricsPortBase: "free",
      env: { SWITCHYARD_CONFIG: good, SWITCHYARD_INLINE_STAGES: "guard,cache" },
    });
    const proc = await cluster.start("ingress");
    await assert.rejects(
      cluster.waitReady(proc, 15_000),
      /exited with 2 before it was ready.*SWITCHYARD_INLINE_STAGES/s,
    );
  });
});

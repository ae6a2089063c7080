// What `npm test` hands the suites: the test stack's addresses, and unique names so test files
// running side by side never share subjects, Redis keys or ports.
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestStack {
  natsUrl: string;
  redisUrl: string;
  clickhouseUrl: string;
  temporalAddress: string;
}

export function testStack(): TestStack {
  const get = (name: string): string => {
    const v = process.env[name];
    if (v === undefined || v === "")
      throw new Error(`${name} is not set: run the suites with \`npm test\`, which starts the test stack`);
    return v;
  };
  return {
    natsUrl: get("SWITCHYARD_TEST_NATS_URL"),
    redisUrl: get("SWITCHYARD_TEST_REDIS_URL"),
    clickhouseUrl: get("SWITCHYARD_TEST_CLICKHOUSE_URL"),
    temporalAddress: get("SWITCHYARD_TEST_TEMPORAL_ADDRESS"),
  };
}

export const uniquePrefix = (): string => `t${randomBytes(4).toString("hex")}`;

export const tempDir = (label: string): string => mkdtempSync(join(tmpdir(), `sy-${label}-`));

export const repoRoot = (): string => join(import.meta.dirname, "..", "..");

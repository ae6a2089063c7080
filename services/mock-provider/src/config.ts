// Settings of the mock provider process, from env. Fails at start naming the bad key.
import { parseControls } from "./controls.js";
import type { MockControls } from "./types.js";

export interface MockProviderConfig {
  port: number;
  host: string;
  defaults: MockControls;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export const DEFAULT_PORT = 9700;
export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_REGION = "us-east-1";
export const DEFAULT_CREDENTIALS = {
  accessKeyId: "MOCKAKIDEXAMPLE",
  secretAccessKey: "mock-secret-key",
} as const;

export function loadConfig(env: NodeJS.ProcessEnv): Readonly<MockProviderConfig> {
  const portText = env.MOCK_PROVIDER_PORT ?? String(DEFAULT_PORT);
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`MOCK_PROVIDER_PORT: expected a port number, got "${portText}"`);
  }
  let defaults: MockControls;
  try {
    defaults = parseControls(env.MOCK_PROVIDER_DEFAULTS ?? "");
  } catch (err) {
    throw new Error(`MOCK_PROVIDER_DEFAULTS: ${(err as Error).message}`);
  }
  return Object.freeze({
    port,
    host: env.MOCK_PROVIDER_HOST || DEFAULT_HOST,
    defaults,
    region: env.MOCK_AWS_REGION || DEFAULT_REGION,
    credentials: {
      accessKeyId: env.MOCK_AWS_ACCESS_KEY_ID || DEFAULT_CREDENTIALS.accessKeyId,
      secretAccessKey: env.MOCK_AWS_SECRET_ACCESS_KEY || DEFAULT_CREDENTIALS.secretAccessKey,
    },
  });
}

// @switchyard/mock-provider: a MOCK upstream LLM provider speaking the real wire protocols of
// OpenAI, Azure OpenAI, Anthropic, Gemini, Bedrock, Mistral and OpenAI-compatible servers.
import type { AddressInfo } from "node:net";
import { createMockServer } from "./server.js";
import type { AwsCredentials } from "./sigv4.js";
import type { MockControls, MockRequestRecord } from "./types.js";

export type { MockControls, MockOutcome, MockRequestRecord, ProviderId } from "./types.js";
export { parseControls } from "./controls.js";
export { decodeEventStream } from "./event-stream.js";

export interface StartMockProviderOptions {
  port?: number;
  host?: string;
  defaults?: Partial<MockControls>;
  /** Bedrock SigV4 region (default us-east-1). */
  region?: string;
  /** Bedrock SigV4 credentials (default MOCKAKIDEXAMPLE / mock-secret-key). */
  credentials?: AwsCredentials;
}

export interface RunningMockProvider {
  url: string;
  port: number;
  close(): Promise<void>;
  requests(): MockRequestRecord[];
  clear(): void;
}

export async function startMockProvider(opts: StartMockProviderOptions = {}): Promise<RunningMockProvider> {
  const { server, recorder } = createMockServer(opts);
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    requests: () => recorder.list(),
    clear: () => recorder.clear(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

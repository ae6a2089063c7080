// @switchyard/local-stack: installs and runs NATS (JetStream), Redis, ClickHouse and the Temporal
// dev server for development and tests. See deploy/local/README.md.
export type { ServerName, StackPorts } from "./ports.js";
export { DEFAULT_PORTS, PORT_ENV, portsFromEnv, freePorts, isPortFree } from "./ports.js";
export { repoRoot, defaultDataDir } from "./paths.js";
export { ensureInstalled, ensureTestTools } from "./install.js";
export type { Stack, StackOptions } from "./stack.js";
export { startStack, stopRecordedServers, recordedServers, probeServer } from "./stack.js";

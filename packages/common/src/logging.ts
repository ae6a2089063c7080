// One pino root logger per process; every line says which service wrote it. Request lines
// carry requestId and traceId; prompts and keys are never logged, only hashes and redactions.
import { pino, type Logger } from "pino";

export type { Logger } from "pino";

export function createLogger(service: string, level: string = "info"): Logger {
  return pino({
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ["*.authorization", "*.apiKey", "*.api_key", "key"], censor: "[redacted]" },
  });
}

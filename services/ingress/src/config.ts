import {
  baseSettings,
  env,
  loadEnv,
  loadGatewayConfig,
  resolveProviderSecrets,
  settings,
} from "@switchyard/common";
import { z } from "zod";
import { INLINE_STAGES } from "./inline-stages.js";

const spec = {
  ...baseSettings(9100),
  configPath: env("SWITCHYARD_CONFIG", z.string().default("config/switchyard.yaml")),
  httpHost: env("SWITCHYARD_HTTP_HOST", z.string().default("127.0.0.1")),
  httpPort: env("SWITCHYARD_HTTP_PORT", settings.port().default(8080)),
  grpcHost: env("SWITCHYARD_GRPC_HOST", z.string().default("127.0.0.1")),
  grpcPort: env("SWITCHYARD_GRPC_PORT", settings.port().default(50051)),
  /** Largest request body accepted (413 beyond). */
  maxBodyBytes: env("SWITCHYARD_MAX_BODY_BYTES", settings.positiveInt().default(8 * 1024 * 1024)),
  /** Deadline when the client sets none (x-request-timeout / grpc-timeout). */
  defaultTimeoutMs: env("SWITCHYARD_DEFAULT_TIMEOUT_MS", settings.positiveInt().default(60_000)),
  /** Longest deadline a client may ask for. */
  maxTimeoutMs: env("SWITCHYARD_MAX_TIMEOUT_MS", settings.positiveInt().default(600_000)),
  /** Requests waiting for an answer at once, beyond which ingress answers 503 at once. */
  maxInFlight: env("SWITCHYARD_MAX_IN_FLIGHT", settings.positiveInt().default(4096)),
  /**
   * Events of requests refused at the door (events.rejected) this ingress publishes a second at
   * most (a token bucket holding a second's worth); past it refusals are only counted.
   */
  rejectedEventsPerSec: env("SWITCHYARD_REJECTED_EVENTS_PER_SEC", settings.positiveInt().default(500)),
  /**
   * Stages ingress runs in-process instead of over NATS (docs/architecture.md, "Inline
   * stages"): saves a NATS hop each; those stages then scale with ingress.
   */
  inlineStages: env("SWITCHYARD_INLINE_STAGES", settings.list(INLINE_STAGES).default([])),
  /** Largest file the Files API accepts (413 beyond); uploads are not held to maxBodyBytes. */
  maxUploadBytes: env("SWITCHYARD_FILES_MAX_BYTES", settings.positiveInt().default(200 * 1024 * 1024)),
  /**
   * How long a batch's "24h" completion window lasts, in seconds: lines not run by then end as
   * batch_expired. Shorter only to try expiry out (tests, staging).
   */
  batchWindowSeconds: env("SWITCHYARD_BATCH_WINDOW_SECONDS", settings.positiveInt().default(24 * 3600)),
  /**
   * How long the Responses door keeps a response made with store: true (for previous_response_id,
   * item_reference, GET and DELETE), in seconds; 0 keeps nothing (every call is store: false).
   */
  responsesTtlSeconds: env(
    "SWITCHYARD_RESPONSES_TTL_SECONDS",
    z.coerce
      .number()
      .int()
      .min(0)
      .default(7 * 24 * 3600),
  ),
  /** The most the stored responses may take in NATS; past it the oldest go first. */
  responsesMaxBytes: env(
    "SWITCHYARD_RESPONSES_MAX_BYTES",
    settings.positiveInt().default(1024 * 1024 * 1024),
  ),
  /** Where batches run (docs/batches.md); the interactive doors do not need it. */
  temporalAddress: env("SWITCHYARD_TEMPORAL_ADDRESS", z.string().default("127.0.0.1:7233")),
  temporalNamespace: env("SWITCHYARD_TEMPORAL_NAMESPACE", z.string().default("default")),
  /** Used only when the meter is inline (its rate limits live in Redis). */
  redisUrl: env("SWITCHYARD_REDIS_URL", z.string().default("redis://127.0.0.1:6379")),
  redisPrefix: env("SWITCHYARD_REDIS_PREFIX", z.string().default("sy")),
  /** Used only when the meter is inline: what a rate limit does while Redis is unreachable. */
  rateLimitFailMode: env("SWITCHYARD_RATE_LIMIT_FAIL_MODE", z.enum(["open", "closed"]).default("open")),
  budgetFailMode: env("SWITCHYARD_BUDGET_FAIL_MODE", z.enum(["open", "closed"]).default("closed")),
};

export function loadConfig(source: NodeJS.ProcessEnv) {
  const values = loadEnv(spec, source);
  const gateway = loadGatewayConfig(values.configPath);
  // An inline provider needs the credentials here: a missing one stops the start, named.
  if (values.inlineStages.includes("provider")) resolveProviderSecrets(gateway, source);
  return { ...values, gateway };
}

export type IngressConfig = ReturnType<typeof loadConfig>;

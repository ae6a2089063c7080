-- One wide row per request that reached ingress (answered, failed, or refused at the door),
-- written by the analytics service from the usage events on JetStream. Runs on ClickHouse 18.16
-- and current: no LowCardinality, no DateTime64, no TTL, money as integer nano-USD.
--
-- Exactly one row per request id: the writer inserts only ids it does not find, and
-- ReplacingMergeTree collapses any duplicate a race could still leave (queries that must be exact
-- per row use FINAL or GROUP BY request_id). The sorting key puts the arrival second before the
-- request id: ids are random (UUIDv4, or the client's), so a batch's lookup by tenant and time
-- reads the few granules of those seconds, however many rows the hour holds
-- (docs/analytics-writer.md).
CREATE TABLE IF NOT EXISTS {db}.requests
(
    received_at DateTime,
    received_unix_ms UInt64,
    finished_unix_ms UInt64,
    request_id String,
    -- http | grpc | batch | chain
    door String,
    tenant_id String,
    team_id String,
    key_id String,
    -- First 12 hex digits of the SHA-256 of the key presented, for refused requests whose key is
    -- unknown (never the key).
    key_hash_prefix String,
    end_user String,
    -- The alias the client asked for, and what served it.
    model String,
    provider String,
    deployment String,
    upstream_model String,
    route_policy String,
    route_reason String,
    -- "ok", or the error code the request ended with.
    status String,
    http_status UInt16,
    stream UInt8,
    prompt_tokens UInt32,
    cached_read_tokens UInt32,
    cache_write_tokens UInt32,
    completion_tokens UInt32,
    reasoning_tokens UInt32,
    cost_nano_usd UInt64,
    cost_input_nano_usd UInt64,
    cost_output_nano_usd UInt64,
    -- From arrival at ingress to the end; time to first token (streams); upstream time.
    latency_ms UInt32,
    ttft_ms UInt32,
    upstream_ms UInt32,
    -- Milliseconds per stage (ingress, guard, router, meter, provider, upstream), parallel arrays.
    stage_names Array(String),
    stage_ms Array(Float32),
    attempts UInt16,
    fallbacks UInt16,
    -- Times ingress sent the request again after losing the replica holding it.
    retries UInt16,
    -- The strongest guard action on the prompt and on the answer ("" when none screened).
    guard_action String,
    guard_output_action String,
    guard_rules Array(String),
    batch_id String,
    chain_id String,
    inserted_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(received_at)
ORDER BY (tenant_id, received_at, request_id);

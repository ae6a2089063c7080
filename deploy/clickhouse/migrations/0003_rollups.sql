-- Minute rollups per tenant, key and model (and deployment), kept by a materialized view on
-- `requests`: counts, tokens, cost, and latency and TTFT quantile states. Dashboards read these;
-- `*Merge` combinators finish them (docs/analytics.md).
CREATE TABLE IF NOT EXISTS {db}.requests_by_minute
(
    minute DateTime,
    tenant_id String,
    team_id String,
    key_id String,
    model String,
    deployment String,
    requests AggregateFunction(count),
    errors AggregateFunction(sum, UInt64),
    prompt_tokens AggregateFunction(sum, UInt64),
    completion_tokens AggregateFunction(sum, UInt64),
    cost_nano_usd AggregateFunction(sum, UInt64),
    latency_ms AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), UInt32),
    -- Streams only (unary answers have no first token).
    ttft_ms AggregateFunction(quantilesTDigestIf(0.5, 0.95, 0.99), UInt32, UInt8)
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(minute)
ORDER BY (tenant_id, minute, key_id, model, deployment, team_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.requests_by_minute_mv TO {db}.requests_by_minute AS
SELECT
    toStartOfMinute(received_at) AS minute,
    tenant_id,
    team_id,
    key_id,
    model,
    deployment,
    countState() AS requests,
    sumState(toUInt64(status != 'ok')) AS errors,
    sumState(toUInt64(prompt_tokens)) AS prompt_tokens,
    sumState(toUInt64(completion_tokens)) AS completion_tokens,
    sumState(cost_nano_usd) AS cost_nano_usd,
    quantilesTDigestState(0.5, 0.95, 0.99)(latency_ms) AS latency_ms,
    quantilesTDigestIfState(0.5, 0.95, 0.99)(ttft_ms, toUInt8(ttft_ms > 0)) AS ttft_ms
FROM {db}.requests
GROUP BY minute, tenant_id, team_id, key_id, model, deployment;

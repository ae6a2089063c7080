-- One row per screening (prompt or answer) that found anything, from the guard verdict events:
-- rule ids, actions and counts, never values (value hashes are salted HMACs). Exactly one row
-- per request and direction, as in `requests` (same sorting-key reasoning).
CREATE TABLE IF NOT EXISTS {db}.guard_verdicts
(
    received_at DateTime,
    request_id String,
    tenant_id String,
    -- input | output
    direction String,
    -- The screening's strongest action.
    action String,
    -- One entry per finding: parallel arrays.
    finding_kinds Array(String),
    finding_rules Array(String),
    finding_actions Array(String),
    finding_counts Array(UInt32),
    value_hashes Array(String),
    inserted_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(received_at)
ORDER BY (tenant_id, received_at, request_id, direction);

-- Usage records: one row per request (or per bucket, for sources that only give buckets), keyed by a stable
-- id derived from the source's natural key, so every ingest is an idempotent upsert.
CREATE TABLE usage_records (
    id              BLOB PRIMARY KEY,         -- 16 bytes of SHA-256 over the source's natural key
    source          TEXT    NOT NULL,         -- claude-code, codex, csv:<preset>, openai-api, ...
    provider        TEXT    NOT NULL,
    model           TEXT    NOT NULL,         -- '' when the source names none (e.g. <synthetic>)
    project         TEXT    NOT NULL DEFAULT '',
    session         TEXT    NOT NULL DEFAULT '',
    ts              INTEGER NOT NULL,         -- Unix milliseconds, UTC
    input_tokens    INTEGER NOT NULL DEFAULT 0,  -- uncached input
    cache_write_5m  INTEGER NOT NULL DEFAULT 0,
    cache_write_1h  INTEGER NOT NULL DEFAULT 0,
    cache_read      INTEGER NOT NULL DEFAULT 0,
    output_tokens   INTEGER NOT NULL DEFAULT 0,
    reasoning_tokens INTEGER NOT NULL DEFAULT 0, -- part of output where the source says so
    requests        INTEGER NOT NULL DEFAULT 1,
    cost_nanos      INTEGER,                  -- NULL: unpriced
    cost_origin     TEXT    NOT NULL,         -- reported | calculated | unpriced
    reported_cost_nanos INTEGER,              -- the source's own figure (costUSD), kept beside ours
    fast            INTEGER NOT NULL DEFAULT 0,
    rank            INTEGER NOT NULL DEFAULT 0 -- which duplicate wins: higher rank replaces lower
) WITHOUT ROWID;
CREATE INDEX usage_records_ts ON usage_records(ts);
CREATE INDEX usage_records_model ON usage_records(model, ts);

-- Hourly rollups (UTC hours) maintained after every ingest; reports in any whole-hour time zone read these.
CREATE TABLE usage_hourly (
    hour            INTEGER NOT NULL,         -- Unix seconds of the hour's start, UTC
    source          TEXT    NOT NULL,
    provider        TEXT    NOT NULL,
    model           TEXT    NOT NULL,
    project         TEXT    NOT NULL,
    input_tokens    INTEGER NOT NULL,
    cache_write_5m  INTEGER NOT NULL,
    cache_write_1h  INTEGER NOT NULL,
    cache_read      INTEGER NOT NULL,
    output_tokens   INTEGER NOT NULL,
    reasoning_tokens INTEGER NOT NULL,
    requests        INTEGER NOT NULL,
    cost_nanos      INTEGER NOT NULL,         -- priced records only
    unpriced_tokens INTEGER NOT NULL,         -- tokens of records without a price
    unpriced_requests INTEGER NOT NULL,
    PRIMARY KEY (hour, source, provider, model, project)
) WITHOUT ROWID;

-- What each scanned file has given us, so a rescan reads only appended bytes.
CREATE TABLE source_files (
    path        TEXT PRIMARY KEY,
    source      TEXT    NOT NULL,
    device      INTEGER NOT NULL,
    inode       INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    mtime_ns    INTEGER NOT NULL,
    offset      INTEGER NOT NULL,           -- bytes consumed: the start of the first incomplete line
    head_hash   BLOB,                       -- SHA-256 of the first bytes, to notice a rewritten file
    lines       INTEGER NOT NULL DEFAULT 0,
    skipped     INTEGER NOT NULL DEFAULT 0,
    scanned_at  TEXT    NOT NULL
);


CREATE TABLE price_overrides (
    model   TEXT PRIMARY KEY,
    entry   TEXT NOT NULL,                  -- a LiteLLM-format JSON object
    updated_at TEXT NOT NULL
);

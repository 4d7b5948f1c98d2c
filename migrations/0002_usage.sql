-- Usage records: one row per request (or per bucket, for sources that only give buckets), keyed by a stable
-- id derived from the source's natural key, so every ingest is an idempotent upsert.
-- A rowid table with the id in a unique index: appends stay sequential and only the small index is random.
CREATE TABLE usage_records (
    rowid           INTEGER PRIMARY KEY,
    id              INTEGER NOT NULL UNIQUE,  -- 64 bits of SHA-256 over the source's natural key
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
    -- Claude Code de-duplication (see src/sources/claude.rs): the message id, whether the line was a
    -- sidechain, and the rank that decides which of two colliding lines is kept
    message_key     INTEGER,                  -- 64 bits of SHA-256 of the message id
    sidechain       INTEGER NOT NULL DEFAULT 0,
    rank_tokens     INTEGER NOT NULL DEFAULT 0,
    rank_cost       INTEGER NOT NULL DEFAULT 0,
    -- set for records keyed by their file position, so a rewritten file can take them back
    origin_path     TEXT
);
CREATE INDEX usage_records_ts ON usage_records(ts);
CREATE INDEX usage_records_main_message ON usage_records(message_key) WHERE sidechain = 0;
CREATE INDEX usage_records_side_message ON usage_records(message_key) WHERE sidechain = 1;
CREATE INDEX usage_records_origin ON usage_records(origin_path) WHERE origin_path IS NOT NULL;

-- Hours whose rollup is stale, drained by the rollup refresh in the same transaction. Inserts mark their hours
-- in bulk (src/usage); these triggers catch the rarer updates and deletes, including the old hour of a moved row.
-- (NOT EXISTS rather than OR IGNORE: an upsert's conflict handling overrides a trigger's.)
CREATE TABLE usage_dirty_hours (hour INTEGER PRIMARY KEY);
CREATE TRIGGER usage_records_upd AFTER UPDATE ON usage_records BEGIN
    INSERT INTO usage_dirty_hours (hour) SELECT old.ts / 3600000
        WHERE NOT EXISTS (SELECT 1 FROM usage_dirty_hours WHERE hour = old.ts / 3600000);
    INSERT INTO usage_dirty_hours (hour) SELECT new.ts / 3600000
        WHERE NOT EXISTS (SELECT 1 FROM usage_dirty_hours WHERE hour = new.ts / 3600000);
END;
CREATE TRIGGER usage_records_del AFTER DELETE ON usage_records BEGIN
    INSERT INTO usage_dirty_hours (hour) SELECT old.ts / 3600000
        WHERE NOT EXISTS (SELECT 1 FROM usage_dirty_hours WHERE hour = old.ts / 3600000);
END;

-- Hourly rollups (UTC hours) refreshed at the end of every ingest; reports read these.
CREATE TABLE usage_hourly (
    hour            INTEGER NOT NULL,         -- hours since the Unix epoch, UTC
    source          TEXT    NOT NULL,
    provider        TEXT    NOT NULL,
    model           TEXT    NOT NULL,
    fast            INTEGER NOT NULL,
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
    reported_requests INTEGER NOT NULL,       -- records whose cost the source reported
    PRIMARY KEY (hour, source, provider, model, fast, project)
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
    carry       TEXT,                       -- reader state at `offset` (Codex: model and running totals)
    scanned_at  TEXT    NOT NULL
);


CREATE TABLE price_overrides (
    model   TEXT PRIMARY KEY,
    entry   TEXT NOT NULL,                  -- a LiteLLM-format JSON object
    updated_at TEXT NOT NULL
);

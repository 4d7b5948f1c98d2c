-- Provider accounts polled for usage and cost (src/providers), the bills they report, and the windows that
-- failed and wait to be fetched again. Usage buckets go to usage_records (source '<provider>-api',
-- origin_path 'provider-account:<id>:<endpoint>') so reports see them beside local logs.
CREATE TABLE provider_accounts (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    provider             TEXT    NOT NULL,          -- openai | anthropic | openrouter
    credential_id        INTEGER NOT NULL REFERENCES credentials(id) ON DELETE CASCADE,
    base_url             TEXT,                      -- NULL: the provider's own
    interval_secs        INTEGER NOT NULL DEFAULT 900,
    backfill_days        INTEGER NOT NULL DEFAULT 30,
    created_at           TEXT    NOT NULL,
    stopped_reason       TEXT,                      -- set on 401/403: not polled until re-enabled
    backfilled_until     INTEGER,                   -- Unix s: end of the first complete backfill
    last_success_at      TEXT,
    last_error           TEXT,
    last_error_at        TEXT,
    circuit_state        TEXT    NOT NULL DEFAULT 'closed',  -- closed | open | half-open
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    circuit_open_until   INTEGER,                   -- Unix ms
    requests_total       INTEGER NOT NULL DEFAULT 0
);

-- What the provider billed, per bucket and group; a window's rows are replaced whenever it is fetched again.
CREATE TABLE provider_costs (
    id           INTEGER PRIMARY KEY,               -- 64 bits of SHA-256 over the natural key
    account_id   INTEGER NOT NULL REFERENCES provider_accounts(id) ON DELETE CASCADE,
    provider     TEXT    NOT NULL,
    endpoint     TEXT    NOT NULL,
    ts           INTEGER NOT NULL,                  -- bucket start, Unix ms
    model        TEXT    NOT NULL DEFAULT '',
    project      TEXT    NOT NULL DEFAULT '',
    line_item    TEXT    NOT NULL DEFAULT '',
    amount_nanos INTEGER NOT NULL
);
CREATE INDEX provider_costs_window ON provider_costs(account_id, endpoint, ts);

-- Windows whose fetch failed: replayed by the next poll once next_try has passed, or by `providers retry`.
CREATE TABLE provider_retry_queue (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id   INTEGER NOT NULL REFERENCES provider_accounts(id) ON DELETE CASCADE,
    endpoint     TEXT    NOT NULL,
    window_start INTEGER NOT NULL,                  -- Unix s, inclusive
    window_end   INTEGER NOT NULL,                  -- Unix s, exclusive
    attempts     INTEGER NOT NULL,
    last_error   TEXT    NOT NULL,
    next_try     INTEGER NOT NULL,                  -- Unix ms
    created_at   TEXT    NOT NULL,
    UNIQUE (account_id, endpoint, window_start, window_end)
);

-- What a provider account has left, where the provider says (OpenRouter's /credits and /key): one snapshot per
-- account, replaced by every poll run that reads it. Amounts in nano-dollars.
CREATE TABLE provider_balances (
    account_id                INTEGER PRIMARY KEY REFERENCES provider_accounts(id) ON DELETE CASCADE,
    fetched_at                TEXT    NOT NULL,
    credits_total_nanos       INTEGER,
    credits_used_nanos        INTEGER,
    key_limit_nanos           INTEGER,
    key_limit_remaining_nanos INTEGER,
    key_limit_reset           TEXT,
    key_usage_nanos           INTEGER,
    key_usage_daily_nanos     INTEGER,
    key_usage_weekly_nanos    INTEGER,
    key_usage_monthly_nanos   INTEGER,
    key_is_management         INTEGER,
    key_expires_at            TEXT,
    notes                     TEXT    NOT NULL DEFAULT ''   -- newline-separated
);

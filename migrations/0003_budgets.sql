-- Budgets over stored usage, and the alerts they (and the anomaly detector) raise.
CREATE TABLE budgets (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL UNIQUE,
    amount_nanos  INTEGER NOT NULL CHECK (amount_nanos > 0),   -- exact money, nano-dollars
    period        TEXT    NOT NULL CHECK (period IN ('day', 'week', 'month')),
    cycle_day     INTEGER NOT NULL DEFAULT 1 CHECK (cycle_day BETWEEN 1 AND 31), -- month: the billing cycle's first day
    -- scope: NULL means "any"
    provider      TEXT,
    model_pattern TEXT,                       -- an exact model name or a glob (`claude-*`)
    project       TEXT,
    source        TEXT,
    thresholds    TEXT    NOT NULL DEFAULT '50,80,100',  -- percents, ascending
    forecast_alert INTEGER NOT NULL DEFAULT 1,           -- also alert when the period is projected to go over
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);

-- One row per alert. `dedup_key` makes "one alert per (budget, period, threshold)" a constraint, not a habit.
-- Alerts outlive their budget (history): the budget id is then set to NULL.
CREATE TABLE alerts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT    NOT NULL CHECK (kind IN ('threshold', 'forecast', 'anomaly')),
    budget_id     INTEGER REFERENCES budgets(id) ON DELETE SET NULL,
    budget_name   TEXT,
    period_start  TEXT,                       -- local date the budget period starts
    period_end    TEXT,                       -- local date the period ends (exclusive)
    threshold     INTEGER,                    -- percent (threshold alerts)
    subject       TEXT    NOT NULL,           -- what the alert is about, for cooldowns: budget:1, model:gpt-5, ...
    dedup_key     TEXT    NOT NULL UNIQUE,
    state         TEXT    NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
    message       TEXT    NOT NULL,
    spend_nanos   INTEGER,
    amount_nanos  INTEGER,
    created_at    TEXT    NOT NULL,           -- RFC 3339 UTC
    webhook_state TEXT    NOT NULL DEFAULT 'none' CHECK (webhook_state IN ('none', 'pending', 'delivered', 'failed')),
    webhook_attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX alerts_state ON alerts(state, id);
CREATE INDEX alerts_subject ON alerts(subject, created_at);

-- Every state change of an alert: open → acknowledged → resolved.
CREATE TABLE alert_events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id  INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    at        TEXT    NOT NULL,
    state     TEXT    NOT NULL,
    note      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX alert_events_alert ON alert_events(alert_id, id);

-- Hourly rollups without the project: the reports that neither group nor filter by project (daily, weekly,
-- monthly, models, providers) read these, a quarter of the rows or fewer. Derived from usage_hourly by every
-- rollup refresh, in the same transaction (src/usage).
CREATE TABLE usage_hourly_models (
    hour            INTEGER NOT NULL,
    source          TEXT    NOT NULL,
    provider        TEXT    NOT NULL,
    model           TEXT    NOT NULL,
    fast            INTEGER NOT NULL,
    input_tokens    INTEGER NOT NULL,
    cache_write_5m  INTEGER NOT NULL,
    cache_write_1h  INTEGER NOT NULL,
    cache_read      INTEGER NOT NULL,
    output_tokens   INTEGER NOT NULL,
    reasoning_tokens INTEGER NOT NULL,
    requests        INTEGER NOT NULL,
    cost_nanos      INTEGER NOT NULL,
    unpriced_tokens INTEGER NOT NULL,
    unpriced_requests INTEGER NOT NULL,
    reported_requests INTEGER NOT NULL,
    PRIMARY KEY (hour, source, provider, model, fast)
) WITHOUT ROWID;

INSERT INTO usage_hourly_models
SELECT hour, source, provider, model, fast, SUM(input_tokens), SUM(cache_write_5m), SUM(cache_write_1h),
       SUM(cache_read), SUM(output_tokens), SUM(reasoning_tokens), SUM(requests), SUM(cost_nanos),
       SUM(unpriced_tokens), SUM(unpriced_requests), SUM(reported_requests)
FROM usage_hourly GROUP BY hour, source, provider, model, fast;

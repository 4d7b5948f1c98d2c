//! The core's integration tests: one binary, one module per concern.

mod anomalies;
mod audit_log;
mod budget;
mod budget_cli;
mod cli;
mod common;
mod concurrency;
mod crash;
mod dashboard;
mod forecast;
mod leak;
mod migrations;
mod parity;
mod providers_backfill;
mod providers_breaker;
mod providers_cli;
mod providers_fake;
mod providers_poll;
mod tamper;
mod usage;
mod vault;
mod webhook;
mod whatif;

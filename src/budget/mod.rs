//! Budgets and alerts. A budget caps spend in a scope (everything, a provider, a model pattern, a project, a
//! source) over a period (a local day, a week, a month or a billing cycle) in exact money; the engine raises
//! each threshold's alert once per period, a forecast alert when the period is projected to go over, and
//! anomaly alerts with a cooldown. Alerts are always stored; the webhook (its URL in the vault) is optional.
//! Time and the time zone are passed in; nothing here reads the clock.

pub mod alerts;
pub mod budgets;
pub mod engine;
pub mod period;
pub mod webhook;

pub use alerts::{Alert, AlertEvent, AlertState};
pub use budgets::{parse_thresholds, Budget, BudgetSpec, Scope, DEFAULT_THRESHOLDS};
pub use engine::{evaluate, status, status_and_totals, BudgetStatus};
pub use period::{period_at, Period, PeriodKind};

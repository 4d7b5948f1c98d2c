//! The TypeScript bindings of the `dto` types, rendered into one file, `ui/src/bindings/index.ts`. The test
//! `bindings_are_fresh` rewrites that file when it is stale and fails, so a stale copy never goes unnoticed.

use ts_rs::{Config, TS};

use crate::dto::*;

/// Where the bindings live, relative to this crate.
pub const BINDINGS_PATH: &str = "../ui/src/bindings/index.ts";

macro_rules! declarations {
    ($cfg:expr, $($ty:ty),* $(,)?) => {
        vec![$(format!("export {}", <$ty as TS>::decl($cfg))),*]
    };
}

/// The bindings file's full text.
pub fn render() -> String {
    let cfg = Config::new().with_large_int("number");
    let declarations = declarations!(
        &cfg,
        ErrorCode,
        CommandError,
        VaultStatus,
        UnlockOutcome,
        Credential,
        NewCredentialInput,
        RevealedSecret,
        CopyOutcome,
        ImportedCredential,
        SkippedLine,
        ImportOutcome,
        AuditQuery,
        AuditEvent,
        AuditPage,
        AuditVerification,
        Settings,
        VaultLockedEvent,
        MoneyAmount,
        DashboardRequest,
        SpendTotal,
        Projection,
        BudgetScope,
        BudgetProgress,
        BudgetInput,
        Alert,
        ChartSeries,
        Chart,
        Dashboard,
        ChartExport,
        ExportOutcome,
        UsageQuery,
        UsageAmounts,
        UsageRow,
        UsagePage,
        UsageFacets,
        ScanResult,
        SourceState,
        ProviderAccount,
        QueuedWindow,
        SourcesOverview,
        PollResult,
        UsageChangedEvent,
    );
    let mut text = String::from(
        "// Generated from src-tauri/src/dto.rs by `cargo test -p tallyvault-desktop`. Do not edit.\n\n",
    );
    for declaration in declarations {
        text.push_str(&declaration);
        text.push_str("\n\n");
    }
    text.truncate(text.trim_end().len());
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn bindings_are_fresh() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(super::BINDINGS_PATH);
        let wanted = super::render();
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current != wanted {
            std::fs::write(&path, &wanted).expect("cannot write the bindings file");
            panic!(
                "{} was stale and has been regenerated: review and commit it",
                path.display()
            );
        }
    }
}

// The app's own commands get ACL permissions (`allow-<command>`), so the capability file must grant each one
// the main window uses; a command left out of this list cannot be called from the web view at all.
const COMMANDS: &[&str] = &[
    "vault_status",
    "create_vault",
    "unlock_vault",
    "lock_vault",
    "note_activity",
    "list_credentials",
    "list_providers",
    "detect_provider",
    "add_credential",
    "reveal_secret",
    "copy_secret",
    "rotate_secret",
    "delete_credential",
    "import_env",
    "audit_events",
    "verify_audit",
    "get_settings",
    "set_auto_lock_minutes",
    "export_backup",
    "dashboard",
    "export_chart_png",
    "usage_page",
    "usage_facets",
    "export_usage_csv",
    "scan_now",
    "suggested_export_path",
    "list_budgets",
    "add_budget",
    "edit_budget",
    "delete_budget",
    "list_alerts",
    "acknowledge_alert",
    "sources_overview",
    "poll_now",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .unwrap_or_else(|e| panic!("tauri build step failed: {e:#}"));
}

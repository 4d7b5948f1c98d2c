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
    link_hot_functions_first();
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .unwrap_or_else(|e| panic!("tauri build step failed: {e:#}"));
}

/// Release builds on x86_64 Linux place the functions the app runs from launch to an idle dashboard
/// (`hot-functions.txt`, written by `scripts/hot-functions`) together at the start of `.text`. The kernel maps
/// a program's code in 64 KB runs around each page it runs, and the hot functions spread over the whole 11 MB
/// of `.text` kept nearly all of it resident; packed together they keep about 3 MB (issue 6: -6 MB PSS at idle).
/// A symbol missing from the binary (after a dependency or toolchain update) is skipped: that function is then
/// only laid out as before. Needs rust-lld, the default linker of this target since Rust 1.90; a build that
/// chooses another linker gets the default layout.
fn link_hot_functions_first() {
    println!("cargo:rerun-if-changed=hot-functions.txt");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let other_linker = !var("RUSTC_LINKER").is_empty()
        || ["linker", "fuse-ld"]
            .iter()
            .any(|flag| var("CARGO_ENCODED_RUSTFLAGS").contains(flag));
    if var("PROFILE") != "release" || var("TARGET") != "x86_64-unknown-linux-gnu" || other_linker {
        return;
    }
    let list = std::path::Path::new(&var("CARGO_MANIFEST_DIR")).join("hot-functions.txt");
    println!(
        "cargo:rustc-link-arg-bin=tallyvault-desktop=-Wl,--symbol-ordering-file={}",
        list.display()
    );
    println!("cargo:rustc-link-arg-bin=tallyvault-desktop=-Wl,--no-warn-symbol-ordering");
}

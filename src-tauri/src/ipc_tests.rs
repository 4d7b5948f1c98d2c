//! The commands, driven through Tauri's real IPC layer on its mock runtime (no desktop needed): the JSON the
//! UI receives, the audit trail each secret access leaves, and that no secret leaks where it must not.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tallyvault::crypto::KdfPolicy;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{
    get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY,
};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewWindow, WebviewWindowBuilder};

use crate::clipboard::memory::MemoryClipboard;
use crate::clipboard::{ClipboardAccess, ClipboardGuard};
use crate::state::AppState;

pub(crate) const PASSWORD: &str = "correct horse battery staple";
pub(crate) const SECRET: &str = "sk-ant-api03-TESTONLY-0123456789abcdefghij";

/// Calls `cmd` from `window`'s web view showing `url`, as the UI would; returns the JSON it receives.
pub(crate) fn invoke(
    window: &WebviewWindow<MockRuntime>,
    url: &str,
    cmd: &str,
    args: Value,
) -> Result<Value, Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: url.parse().expect("url"),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().expect("JSON response"))
}

/// The app's state over `dir/data`, with a cheap KDF and an in-memory clipboard cleared after 200 ms.
pub(crate) fn test_state(dir: &std::path::Path) -> (AppState, Arc<MemoryClipboard>) {
    let clipboard = Arc::new(MemoryClipboard::default());
    let guard = ClipboardGuard::new(clipboard.clone(), Duration::from_millis(200));
    let state = AppState::new(
        dir.join("data"),
        KdfPolicy::insecure_for_tests(1_000),
        guard,
    );
    (state, clipboard)
}

pub(crate) struct Harness {
    pub dir: tempfile::TempDir,
    clipboard: Arc<MemoryClipboard>,
    pub app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
}

impl Harness {
    pub fn new() -> Harness {
        Harness::with_state(|_, _| ())
    }

    /// A harness whose state `configure` adjusts first (given the temporary directory).
    pub fn with_state(configure: impl FnOnce(&std::path::Path, &mut AppState)) -> Harness {
        let dir = tempfile::tempdir().expect("temp dir");
        let (mut state, clipboard) = test_state(dir.path());
        configure(dir.path(), &mut state);
        let app = crate::with_commands(mock_builder(), state)
            .build(mock_context(noop_assets()))
            .expect("mock app");
        let window = WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("mock window");
        Harness {
            dir,
            clipboard,
            app,
            window,
        }
    }

    /// Calls `cmd` as the web view would; returns the JSON the UI receives.
    pub fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        invoke(&self.window, "tauri://localhost", cmd, args)
    }

    pub fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args)
            .unwrap_or_else(|e| panic!("{cmd} should succeed, failed with {e}"))
    }

    pub fn created_with_credential(&self) -> i64 {
        self.ok("create_vault", json!({ "password": PASSWORD }));
        let added = self.ok(
            "add_credential",
            json!({ "input": { "label": "work", "secret": SECRET, "provider": null, "note": null, "expiresAt": null } }),
        );
        added["id"].as_i64().expect("an id")
    }

    pub fn actions(&self) -> Vec<String> {
        let page = self.ok("audit_events", json!({ "query": {} }));
        page["events"]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| e["action"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

#[test]
fn errors_reach_the_ui_as_code_and_message() {
    let h = Harness::new();
    h.ok("create_vault", json!({ "password": PASSWORD }));
    h.ok("lock_vault", json!({}));
    assert_eq!(
        h.call("unlock_vault", json!({ "password": "nope" })),
        Err(json!({ "code": "wrong_password", "message": "wrong password" })),
        "a wrong password is one fixed code and message"
    );
    assert_eq!(
        h.call("reveal_secret", json!({ "id": 1 })),
        Err(json!({ "code": "locked", "message": "the vault is locked" })),
    );
}

#[test]
fn first_run_creates_an_unlocked_vault() {
    let h = Harness::new();
    let before = h.ok("vault_status", json!({}));
    assert_eq!(before["exists"], json!(false));
    h.ok("create_vault", json!({ "password": PASSWORD }));
    let after = h.ok("vault_status", json!({}));
    assert_eq!(
        (after["exists"].clone(), after["unlocked"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(
        h.call("create_vault", json!({ "password": PASSWORD }))
            .expect_err("a second vault must be refused")["code"],
        json!("invalid_input")
    );
}

#[test]
fn the_list_payload_holds_no_secret() {
    let h = Harness::new();
    h.created_with_credential();
    let list = h.ok("list_credentials", json!({}));
    let text = list.to_string();
    assert!(
        !text.contains(SECRET),
        "list_credentials leaked the secret: {text}"
    );
    assert!(
        !text.contains("TESTONLY"),
        "list_credentials leaked part of the secret: {text}"
    );
    assert_eq!(list[0]["label"], json!("work"));
    assert_eq!(
        list[0]["provider"],
        json!("anthropic"),
        "the provider is detected from the key"
    );
}

#[test]
fn reveal_returns_the_secret_and_is_audited() {
    let h = Harness::new();
    let id = h.created_with_credential();
    let revealed = h.ok("reveal_secret", json!({ "id": id }));
    assert_eq!(revealed, json!({ "value": SECRET }));
    assert_eq!(
        h.actions().first().map(String::as_str),
        Some("credential.reveal")
    );
}

#[test]
fn copy_keeps_the_secret_out_of_the_ui_and_clears_the_clipboard() {
    let h = Harness::new();
    let id = h.created_with_credential();
    let outcome = h.ok("copy_secret", json!({ "id": id }));
    assert!(
        !outcome.to_string().contains(SECRET),
        "copy must not return the secret"
    );
    assert_eq!(h.clipboard.text().as_deref(), Some(SECRET));
    assert_eq!(
        h.actions().first().map(String::as_str),
        Some("credential.copy")
    );
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(
        h.clipboard.text(),
        None,
        "the clipboard must be cleared after the delay"
    );

    h.ok("copy_secret", json!({ "id": id }));
    h.ok("lock_vault", json!({}));
    assert_eq!(
        h.clipboard.text(),
        None,
        "locking must clear a copied secret"
    );
}

#[test]
fn failed_attempts_are_reported_after_the_next_unlock() {
    let h = Harness::new();
    h.ok("create_vault", json!({ "password": PASSWORD }));
    h.ok("lock_vault", json!({}));
    for _ in 0..2 {
        assert!(h
            .call("unlock_vault", json!({ "password": "wrong" }))
            .is_err());
    }
    let outcome = h.ok("unlock_vault", json!({ "password": PASSWORD }));
    assert_eq!(outcome["failedAttempts"].as_array().map(Vec::len), Some(2));
    assert_eq!(outcome["integrityWarning"], Value::Null);
}

#[test]
fn rotate_and_delete_change_the_vault() {
    let h = Harness::new();
    let id = h.created_with_credential();
    let rotated = h.ok(
        "rotate_secret",
        json!({ "id": id, "secret": "sk-ant-api03-NEW" }),
    );
    assert!(rotated["rotatedAt"].is_string());
    assert_eq!(
        h.ok("reveal_secret", json!({ "id": id }))["value"],
        json!("sk-ant-api03-NEW")
    );
    h.ok("delete_credential", json!({ "id": id }));
    assert_eq!(h.ok("list_credentials", json!({})), json!([]));
    assert_eq!(
        h.call("delete_credential", json!({ "id": id }))
            .expect_err("gone")["code"],
        json!("not_found")
    );
}

#[test]
fn import_env_reports_names_and_reasons_only() {
    let h = Harness::new();
    h.ok("create_vault", json!({ "password": PASSWORD }));
    let text = "export OPENAI_API_KEY=sk-proj-SECRETVALUE\nDATABASE_URL=postgres://u:pw@h/db\nnot a line\n";
    let report = h.ok("import_env", json!({ "text": text }));
    let printed = report.to_string();
    assert!(
        !printed.contains("SECRETVALUE") && !printed.contains("postgres://"),
        "{printed}"
    );
    assert_eq!(report["imported"][0]["label"], json!("OPENAI_API_KEY"));
    assert_eq!(report["skipped"].as_array().map(Vec::len), Some(2));
}

#[test]
fn audit_pages_walk_backwards_and_verify() {
    let h = Harness::new();
    let id = h.created_with_credential();
    for _ in 0..4 {
        h.ok("reveal_secret", json!({ "id": id }));
    }
    let first = h.ok("audit_events", json!({ "query": { "limit": 3 } }));
    assert_eq!(first["events"].as_array().map(Vec::len), Some(3));
    let next = first["nextBeforeSeq"]
        .as_i64()
        .expect("an older page exists");
    let second = h.ok(
        "audit_events",
        json!({ "query": { "limit": 3, "beforeSeq": next } }),
    );
    assert_eq!(second["events"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        second["nextBeforeSeq"],
        Value::Null,
        "6 events: two full pages, no third"
    );
    let adds = h.ok(
        "audit_events",
        json!({ "query": { "action": "credential.add", "credentialId": id } }),
    );
    assert_eq!(adds["events"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        h.call("audit_events", json!({ "query": { "since": "yesterday" } }))
            .expect_err("not a time")["code"],
        json!("invalid_input")
    );
    assert_eq!(
        h.ok("verify_audit", json!({})),
        json!({ "ok": true, "events": 6, "problem": null })
    );
}

#[test]
fn auto_lock_setting_defaults_to_five_minutes_and_is_validated() {
    let h = Harness::new();
    h.ok("create_vault", json!({ "password": PASSWORD }));
    assert_eq!(h.ok("get_settings", json!({}))["autoLockMinutes"], json!(5));
    h.ok("set_auto_lock_minutes", json!({ "minutes": 12 }));
    assert_eq!(
        h.ok("get_settings", json!({}))["autoLockMinutes"],
        json!(12)
    );
    assert_eq!(
        h.call("set_auto_lock_minutes", json!({ "minutes": 0 }))
            .expect_err("0")["code"],
        json!("invalid_input")
    );
    assert_eq!(
        h.actions().first().map(String::as_str),
        Some("settings.change")
    );
}

#[test]
fn idle_locks_the_vault_and_clears_the_clipboard() {
    let h = Harness::new();
    let id = h.created_with_credential();
    h.ok("copy_secret", json!({ "id": id }));
    let state = h.app.state::<AppState>();
    assert!(!state
        .lock_if_idle_for(Duration::from_secs(3600))
        .expect("check"));
    assert!(state.lock_if_idle_for(Duration::ZERO).expect("check"));
    assert_eq!(h.ok("vault_status", json!({}))["unlocked"], json!(false));
    assert_eq!(h.clipboard.text(), None);
}

#[test]
fn backup_export_writes_a_new_file_only() {
    let h = Harness::new();
    h.ok("create_vault", json!({ "password": PASSWORD }));
    let path = h.dir.path().join("backup.tvbk");
    let path_text = path.display().to_string();
    assert_eq!(
        h.call(
            "export_backup",
            json!({ "path": path_text, "password": "wrong" })
        )
        .expect_err("wrong password")["code"],
        json!("wrong_password")
    );
    h.ok(
        "export_backup",
        json!({ "path": path_text, "password": PASSWORD }),
    );
    assert!(path.metadata().expect("backup written").len() > 0);
    assert_eq!(
        h.call(
            "export_backup",
            json!({ "path": path_text, "password": PASSWORD })
        )
        .expect_err("exists")["code"],
        json!("invalid_input")
    );
    assert_eq!(
        h.call(
            "export_backup",
            json!({ "path": "relative.tvbk", "password": PASSWORD })
        )
        .expect_err("relative")["code"],
        json!("invalid_input")
    );
}

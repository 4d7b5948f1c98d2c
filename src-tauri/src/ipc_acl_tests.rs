//! The IPC boundary under the app's real access control: the context generated from `tauri.conf.json` and
//! `capabilities/` (as the app ships, with no UI assets), on Tauri's mock runtime. The main window reaches every
//! command its capability grants; a window the capability does not name, and the main window showing a remote
//! page, reach none of them: the command does not run at all. These tests fail if the capability granted its
//! commands to every window (`"windows": ["*"]`) or to remote URLs.

use std::sync::Arc;

use serde_json::{json, Value};
use tallyvault::sources::{ScanRequest, SourceKind};
use tauri::test::{mock_builder, MockRuntime};
use tauri::{App, Manager, WebviewWindow, WebviewWindowBuilder};

use crate::clipboard::memory::MemoryClipboard;
use crate::clipboard::ClipboardAccess;
use crate::ipc_tests::{invoke, test_state, PASSWORD, SECRET};

const LOCAL: &str = "tauri://localhost";
const CAPABILITY: &str = include_str!("../capabilities/main.json");

struct Acl {
    _dir: tempfile::TempDir,
    app: App<MockRuntime>,
    clipboard: Arc<MemoryClipboard>,
}

impl Acl {
    fn new() -> Acl {
        let dir = tempfile::tempdir().expect("temp dir");
        let (mut state, clipboard) = test_state(dir.path());
        // "Scan now" reads an empty folder, never the real agents' logs.
        state.scan_request = ScanRequest {
            sources: vec![SourceKind::ClaudeCode],
            roots: Some(vec![dir.path().join("no-logs")]),
        };
        let context = tauri::generate_context!(test = true, assets = tauri::test::noop_assets());
        let app = crate::with_commands(mock_builder(), state)
            .build(context)
            .expect("mock app with the real capabilities");
        // The app's window (made from the config when the app runs, which `build` does not), and a second
        // one, as a plugin, a future feature or injected content could open.
        for label in ["main", "other"] {
            WebviewWindowBuilder::new(&app, label, Default::default())
                .build()
                .expect("mock window");
        }
        Acl {
            _dir: dir,
            app,
            clipboard,
        }
    }

    fn window(&self, label: &str) -> WebviewWindow<MockRuntime> {
        self.app
            .get_webview_window(label)
            .unwrap_or_else(|| panic!("window {label}"))
    }

    fn main(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        invoke(&self.window("main"), LOCAL, cmd, args)
    }

    fn main_ok(&self, cmd: &str, args: Value) -> Value {
        self.main(cmd, args)
            .unwrap_or_else(|e| panic!("{cmd} from the main window failed: {e}"))
    }
}

/// The commands the capability grants, from its `allow-<command>` permissions.
fn granted_commands() -> Vec<String> {
    let capability: Value = serde_json::from_str(CAPABILITY).expect("capability JSON");
    let commands: Vec<String> = capability["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .filter_map(Value::as_str)
        .filter_map(|p| p.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect();
    assert!(commands.len() > 30, "{commands:?}");
    commands
}

/// Tauri's ACL refusal: a plain string, where a command's own errors are `{code, message}` objects.
fn is_acl_refusal(result: &Result<Value, Value>) -> bool {
    matches!(result, Err(Value::String(message)) if message.contains("not allowed"))
}

#[test]
fn a_window_without_the_capability_reaches_no_command() {
    let acl = Acl::new();
    let other = acl.window("other");
    for cmd in granted_commands() {
        let result = invoke(&other, LOCAL, &cmd, json!({}));
        assert!(
            is_acl_refusal(&result),
            "{cmd} from a window outside the capability: {result:?}"
        );
    }
    // Refused before running: no vault was created by the other window's create_vault.
    let refused = invoke(
        &other,
        LOCAL,
        "create_vault",
        json!({ "password": PASSWORD }),
    );
    assert!(is_acl_refusal(&refused), "{refused:?}");
    assert_eq!(
        acl.main_ok("vault_status", json!({}))["exists"],
        json!(false)
    );
}

#[test]
fn the_main_window_reaches_every_granted_command() {
    let acl = Acl::new();
    for cmd in granted_commands() {
        // Empty arguments: a command may refuse them, but Tauri's access control must not.
        let result = acl.main(&cmd, json!({}));
        assert!(
            !is_acl_refusal(&result),
            "{cmd} from the main window: {result:?}"
        );
    }
}

#[test]
fn only_the_main_window_unlocks_lists_reveals_and_copies() {
    let acl = Acl::new();
    let other = acl.window("other");
    acl.main_ok("create_vault", json!({ "password": PASSWORD }));
    let id = acl.main_ok(
        "add_credential",
        json!({ "input": { "label": "work", "secret": SECRET, "provider": null, "note": null, "expiresAt": null } }),
    )["id"]
        .as_i64()
        .expect("an id");
    acl.main_ok("lock_vault", json!({}));

    let from_other = |cmd: &str, args: Value| invoke(&other, LOCAL, cmd, args);
    assert!(is_acl_refusal(&from_other(
        "unlock_vault",
        json!({ "password": PASSWORD })
    )));
    assert_eq!(
        acl.main_ok("vault_status", json!({}))["unlocked"],
        json!(false),
        "the other window's unlock must not run"
    );
    acl.main_ok("unlock_vault", json!({ "password": PASSWORD }));
    for (cmd, args) in [
        ("list_credentials", json!({})),
        ("reveal_secret", json!({ "id": id })),
        ("copy_secret", json!({ "id": id })),
        ("import_env", json!({ "text": "OPENAI_API_KEY=sk-proj-x" })),
        ("audit_events", json!({ "query": {} })),
        (
            "export_backup",
            json!({ "path": "/tmp/tallyvault-acl-never.tvbk", "password": PASSWORD }),
        ),
    ] {
        let result = from_other(cmd, args);
        assert!(is_acl_refusal(&result), "{cmd}: {result:?}");
        assert!(
            !result
                .map_err(|e| e.to_string())
                .unwrap_err()
                .contains(SECRET),
            "{cmd}"
        );
    }
    assert_eq!(acl.clipboard.text(), None, "the refused copy must not run");
    let audit = acl.main_ok("audit_events", json!({ "query": {} }));
    let actions: Vec<&str> = audit["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        !actions
            .iter()
            .any(|a| a.starts_with("credential.reveal") || a.starts_with("credential.copy")),
        "{actions:?}"
    );

    // The main window itself may.
    assert_eq!(
        acl.main_ok("reveal_secret", json!({ "id": id }))["value"],
        json!(SECRET)
    );
    acl.main_ok("copy_secret", json!({ "id": id }));
    assert_eq!(acl.clipboard.text().as_deref(), Some(SECRET));
    assert_eq!(
        acl.main_ok("list_credentials", json!({}))[0]["label"],
        json!("work")
    );
}

#[test]
fn the_main_window_showing_a_remote_page_reaches_no_command() {
    let acl = Acl::new();
    let main = acl.window("main");
    for cmd in [
        "vault_status",
        "create_vault",
        "list_credentials",
        "reveal_secret",
    ] {
        let result = invoke(&main, "https://attacker.example/", cmd, json!({}));
        assert!(is_acl_refusal(&result), "{cmd}: {result:?}");
    }
}

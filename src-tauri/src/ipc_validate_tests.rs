//! Inputs crossing IPC, refused through the real IPC layer: each kind of bad input comes back as
//! `{code: "invalid_input", message}` naming the field or rule, never echoing a secret, and changes nothing.

use serde_json::{json, Value};

use crate::ipc_tests::{Harness, PASSWORD};
use crate::validate::{
    MAX_AUDIT_PAGE, MAX_CHART_DAYS, MAX_ENV_BYTES, MAX_FILTER_VALUES, MAX_NAME_CHARS,
    MAX_PASSWORD_BYTES, MAX_SECRET_BYTES,
};

/// A marker put into secrets and passwords: no refusal may echo it.
const MARK: &str = "SECRETMARK";

fn assert_invalid(h: &Harness, cmd: &str, args: Value, needle: &str) {
    let error = h
        .call(cmd, args)
        .expect_err(&format!("{cmd} should refuse its input"));
    assert_eq!(error["code"], json!("invalid_input"), "{cmd}: {error}");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(needle),
        "{cmd}: {message:?} lacks {needle:?}"
    );
    assert!(!message.contains(MARK), "{cmd} echoed a secret: {message}");
    assert!(message.len() < 400, "{cmd}: a long message: {message}");
}

fn long(bytes: usize) -> String {
    format!("{MARK}{}", "x".repeat(bytes))
}

fn credential(label: &str, secret: &str, provider: Value, expires: Value) -> Value {
    json!({ "input": { "label": label, "secret": secret, "provider": provider, "note": null, "expiresAt": expires } })
}

#[test]
fn passwords_and_secrets_are_bounded() {
    let h = Harness::new();
    let too_long = long(MAX_PASSWORD_BYTES);
    assert_invalid(
        &h,
        "create_vault",
        json!({ "password": too_long }),
        "longer",
    );
    assert_eq!(h.ok("vault_status", json!({}))["exists"], json!(false));
    assert_invalid(&h, "create_vault", json!({ "password": "" }), "empty");
    h.ok("create_vault", json!({ "password": PASSWORD }));
    h.ok("lock_vault", json!({}));
    assert_invalid(
        &h,
        "unlock_vault",
        json!({ "password": too_long }),
        "longer",
    );
    h.ok("unlock_vault", json!({ "password": PASSWORD }));

    let huge = long(MAX_SECRET_BYTES);
    assert_invalid(&h, "detect_provider", json!({ "secret": huge }), "larger");
    assert_invalid(
        &h,
        "add_credential",
        credential("k", &huge, json!("openai"), Value::Null),
        "larger",
    );
    assert_invalid(
        &h,
        "import_env",
        json!({ "text": format!("OPENAI_API_KEY={}", long(MAX_ENV_BYTES)) }),
        "KiB",
    );
    assert_eq!(h.ok("list_credentials", json!({})), json!([]));
    let id = h.ok(
        "add_credential",
        credential("work", "sk-proj-SECRETMARK", json!("openai"), Value::Null),
    )["id"]
        .as_i64()
        .expect("id");
    assert_invalid(
        &h,
        "rotate_secret",
        json!({ "id": id, "secret": huge }),
        "larger",
    );
    assert_invalid(
        &h,
        "export_backup",
        json!({ "path": h.dir.path().join("b.tvbk").display().to_string(), "password": too_long }),
        "longer",
    );
}

#[test]
fn ids_providers_and_dates_have_a_format() {
    let h = Harness::new();
    h.ok("create_vault", json!({ "password": PASSWORD }));
    for cmd in [
        "reveal_secret",
        "copy_secret",
        "delete_credential",
        "acknowledge_alert",
        "delete_budget",
    ] {
        assert_invalid(&h, cmd, json!({ "id": 0 }), "positive id");
        assert_invalid(&h, cmd, json!({ "id": -3 }), "positive id");
    }
    assert_invalid(
        &h,
        "add_credential",
        credential(
            "k",
            "sk-proj-SECRETMARK",
            json!("sk-proj-SECRETMARK-pasted-here"),
            Value::Null,
        ),
        "unknown provider",
    );
    assert_invalid(
        &h,
        "add_credential",
        credential("k", "sk-proj-abc", json!("openai"), json!("2026-13-45")),
        "expiresAt",
    );
    assert_invalid(
        &h,
        "add_credential",
        credential(
            &"l".repeat(201),
            "sk-proj-abc",
            json!("openai"),
            Value::Null,
        ),
        "label",
    );
    assert_eq!(h.ok("list_credentials", json!({})), json!([]));
    assert_invalid(
        &h,
        "audit_events",
        json!({ "query": { "until": "next week" } }),
        "RFC 3339",
    );
    assert_invalid(
        &h,
        "audit_events",
        json!({ "query": { "credentialId": 0 } }),
        "credentialId",
    );
    assert_invalid(
        &h,
        "usage_page",
        json!({ "query": { "since": "2026-02-30", "limit": 50 } }),
        "since",
    );
}

#[test]
fn page_sizes_lists_and_ranges_are_bounded() {
    let h = Harness::new();
    h.ok("create_vault", json!({ "password": PASSWORD }));
    for limit in [0, MAX_AUDIT_PAGE + 1] {
        assert_invalid(
            &h,
            "audit_events",
            json!({ "query": { "limit": limit } }),
            "page holds",
        );
    }
    assert_invalid(
        &h,
        "audit_events",
        json!({ "query": { "action": "a".repeat(MAX_NAME_CHARS + 1) } }),
        "action",
    );
    assert_invalid(&h, "usage_page", json!({ "query": { "limit": 0 } }), "page");
    assert_invalid(
        &h,
        "usage_page",
        json!({ "query": { "limit": 100_000 } }),
        "page",
    );
    let many: Vec<String> = (0..=MAX_FILTER_VALUES).map(|i| format!("m{i}")).collect();
    assert_invalid(
        &h,
        "usage_page",
        json!({ "query": { "models": many, "limit": 50 } }),
        "models",
    );
    assert_invalid(
        &h,
        "usage_facets",
        json!({ "query": { "projects": ["a\u{0}b"], "limit": 50 } }),
        "projects",
    );
    for days in [0, MAX_CHART_DAYS + 1, u32::MAX] {
        assert_invalid(
            &h,
            "dashboard",
            json!({ "request": { "chartDays": days, "breakdown": "provider", "theme": "light" } }),
            "days",
        );
        // The PNG export used to take any range (a date overflow on u32::MAX days).
        assert_invalid(
            &h,
            "export_chart_png",
            json!({ "export": { "chartDays": days, "breakdown": "provider", "theme": "light",
                                "path": h.dir.path().join(format!("c{days}.png")).display().to_string() } }),
            "days",
        );
    }
    assert_invalid(
        &h,
        "dashboard",
        json!({ "request": { "chartDays": 30, "breakdown": "provider", "theme": "t".repeat(10_000) } }),
        "theme",
    );
    assert_invalid(
        &h,
        "suggested_export_path",
        json!({ "kind": "k".repeat(10_000) }),
        "kind",
    );
}

#[test]
fn paths_and_budgets_are_checked() {
    let h = Harness::new();
    h.ok("create_vault", json!({ "password": PASSWORD }));
    let query = json!({ "limit": 50 });
    assert_invalid(
        &h,
        "export_usage_csv",
        json!({ "query": query, "path": "relative.csv" }),
        "full path",
    );
    assert_invalid(
        &h,
        "export_usage_csv",
        json!({ "query": query, "path": "/tmp/a\u{0}b.csv" }),
        "NUL",
    );
    assert_invalid(
        &h,
        "export_usage_csv",
        json!({ "query": query, "path": format!("/{}", "d".repeat(5000)) }),
        "longer",
    );
    let budget = |amount: &str, scope: Value| {
        json!({ "input": { "name": "monthly", "amount": amount, "period": "month", "cycleDay": null,
                           "scope": scope, "thresholds": "", "forecastAlert": true } })
    };
    assert_invalid(
        &h,
        "add_budget",
        budget(&"9".repeat(500), json!({})),
        "amount",
    );
    assert_invalid(&h, "add_budget", budget("-5", json!({})), "positive");
    assert_invalid(
        &h,
        "add_budget",
        budget("100", json!({ "provider": "Open AI" })),
        "provider",
    );
    assert_invalid(
        &h,
        "add_budget",
        budget("100", json!({ "model": "*".repeat(MAX_NAME_CHARS + 1) })),
        "model",
    );
    assert_eq!(h.ok("list_budgets", json!({})), json!([]));
    let id = h.ok("add_budget", budget("100", json!({ "provider": "openai" })));
    assert_invalid(
        &h,
        "edit_budget",
        json!({ "id": 0, "input": budget("100", json!({}))["input"] }),
        "positive id",
    );
    assert!(id.as_i64().is_some_and(|id| id > 0));
}

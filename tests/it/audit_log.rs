//! The audit log under attack: each kind of tampering is caught and named by `verify`.

use tallyvault::audit::{Filter, Problem, ANCHOR_FILE};
use tallyvault::vault::{CredentialRef, Purpose, Vault};

use crate::common::*;

/// A vault with a few dozen events, locked, and reopened for the test.
fn populated() -> (Fixture, Vault) {
    let f = Fixture::new();
    let v = f.create();
    for i in 0..10 {
        v.add_credential(new_credential(&format!("k{i}"), &random_secret()))
            .unwrap();
        v.read_secret(&CredentialRef::Label(format!("k{i}")), Purpose::Reveal)
            .unwrap();
    }
    assert!(v.verify_audit().unwrap().is_ok());
    (f, v)
}

fn problem(v: &Vault) -> Problem {
    v.verify_audit()
        .unwrap()
        .problem
        .expect("tampering must be detected")
}

#[test]
fn an_edited_row_is_named() {
    let (f, v) = populated();
    f.raw()
        .execute(
            "UPDATE audit_log SET action = 'credential.add' WHERE seq = 5",
            [],
        )
        .unwrap();
    assert_eq!(problem(&v), Problem::TagMismatch { seq: 5 });
}

#[test]
fn edited_details_or_time_are_named() {
    let (f, v) = populated();
    f.raw()
        .execute(
            "UPDATE audit_log SET at = '2020-01-01T00:00:00.000Z' WHERE seq = 7",
            [],
        )
        .unwrap();
    assert_eq!(problem(&v), Problem::TagMismatch { seq: 7 });
    let (f, v) = populated();
    let details: Vec<u8> = f
        .raw()
        .query_row("SELECT details FROM audit_log WHERE seq = 3", [], |r| {
            r.get(0)
        })
        .unwrap();
    f.raw()
        .execute(
            "UPDATE audit_log SET details = ?1 WHERE seq = 4",
            [&details],
        )
        .unwrap();
    assert_eq!(problem(&v), Problem::TagMismatch { seq: 4 });
}

#[test]
fn a_deleted_middle_row_is_named() {
    let (f, v) = populated();
    f.raw()
        .execute("DELETE FROM audit_log WHERE seq = 6", [])
        .unwrap();
    assert_eq!(
        problem(&v),
        Problem::Gap {
            expected: 6,
            found: 7
        }
    );
}

#[test]
fn a_deleted_tail_is_named() {
    let (f, v) = populated();
    let last: i64 = f
        .raw()
        .query_row("SELECT MAX(seq) FROM audit_log", [], |r| r.get(0))
        .unwrap();
    f.raw()
        .execute("DELETE FROM audit_log WHERE seq > ?1", [last - 3])
        .unwrap();
    assert_eq!(
        problem(&v),
        Problem::TailDeleted {
            last_seq: last - 3,
            sealed_seq: last
        }
    );
}

#[test]
fn a_tail_deleted_with_its_seal_rewound_is_caught_by_the_anchor() {
    let (f, v) = populated();
    let last: i64 = f
        .raw()
        .query_row("SELECT MAX(seq) FROM audit_log", [], |r| r.get(0))
        .unwrap();
    // Without the key the attacker can only point the seal at an older row's values, which its MAC rejects.
    f.raw()
        .execute("DELETE FROM audit_log WHERE seq > ?1", [last - 2])
        .unwrap();
    f.raw()
        .execute(
            "UPDATE vault_meta SET audit_head_seq = ?1, audit_head_tag = (SELECT tag FROM audit_log WHERE seq = ?1)",
            [last - 2],
        )
        .unwrap();
    assert_eq!(problem(&v), Problem::HeadSealInvalid);
}

#[test]
fn an_edited_seal_is_not_healed_by_later_activity() {
    // Found by the tamper sweep: the next append used to re-seal the head, so the unlock that followed an
    // edit of vault_meta's seal erased every trace of it.
    let (f, v) = populated();
    v.lock().unwrap();
    drop(v);
    f.raw()
        .execute(
            "UPDATE vault_meta SET audit_head_mac = zeroblob(32) WHERE id = 1",
            [],
        )
        .unwrap();
    let (v, report) = f.unlock_report().unwrap();
    assert!(report.integrity_warning.is_some(), "unlock warns at once");
    for i in 0..3 {
        v.add_credential(new_credential(&format!("later-{i}"), &random_secret()))
            .unwrap();
    }
    assert_eq!(problem(&v), Problem::HeadSealInvalid, "the evidence stays");
    v.reset_anchor("checked: my own edit").unwrap();
    assert!(
        v.verify_audit().unwrap().is_ok(),
        "an explicit, audited reset re-seals the log"
    );
    v.add_credential(new_credential("after-reset", &random_secret()))
        .unwrap();
    assert!(v.verify_audit().unwrap().is_ok(), "and appends seal again");
}

#[test]
fn reordered_rows_are_named() {
    let (f, v) = populated();
    let conn = f.raw();
    conn.execute_batch(
        "UPDATE audit_log SET seq = -1 WHERE seq = 4;
         UPDATE audit_log SET seq = 4 WHERE seq = 5;
         UPDATE audit_log SET seq = 5 WHERE seq = -1;",
    )
    .unwrap();
    assert_eq!(problem(&v), Problem::ChainBroken { seq: 4 });
}

#[test]
fn a_forged_row_is_named() {
    let (f, v) = populated();
    let conn = f.raw();
    let (last, tag): (i64, Vec<u8>) = conn
        .query_row(
            "SELECT seq, tag FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    conn.execute(
        "INSERT INTO audit_log (seq, at, action, credential_id, details, prev_tag, tag)
         VALUES (?1, '2026-01-01T00:00:00.000Z', 'credential.add', NULL, x'01', ?2, zeroblob(32))",
        rusqlite::params![last + 1, tag],
    )
    .unwrap();
    assert_eq!(problem(&v), Problem::TagMismatch { seq: last + 1 });
}

#[test]
fn a_forged_row_inserted_in_the_middle_is_named() {
    let (f, v) = populated();
    let conn = f.raw();
    conn.execute_batch("UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 8; UPDATE audit_log SET seq = seq - 999 WHERE seq >= 1008;")
        .unwrap();
    let prev: Vec<u8> = conn
        .query_row("SELECT tag FROM audit_log WHERE seq = 7", [], |r| r.get(0))
        .unwrap();
    conn.execute(
        "INSERT INTO audit_log (seq, at, action, credential_id, details, prev_tag, tag)
         VALUES (8, '2026-01-01T00:00:00.000Z', 'credential.reveal', 1, x'01', ?1, zeroblob(32))",
        [prev],
    )
    .unwrap();
    assert_eq!(problem(&v), Problem::TagMismatch { seq: 8 });
}

#[test]
fn restoring_an_older_copy_of_the_database_is_named() {
    let f = Fixture::new();
    let v = f.create();
    v.add_credential(new_credential("k0", &random_secret()))
        .unwrap();
    v.lock().unwrap();
    drop(v);
    let old_copy = f.path().join("old-copy.db");
    std::fs::copy(f.db_path(), &old_copy).unwrap();

    let v = f.unlock().unwrap();
    for i in 1..6 {
        v.add_credential(new_credential(&format!("k{i}"), &random_secret()))
            .unwrap();
    }
    v.lock().unwrap();
    drop(v);
    std::fs::copy(&old_copy, f.db_path()).unwrap();
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(f.path().join(format!("tallyvault.db{suffix}")));
    }

    let (v, report) = f.unlock_report().unwrap();
    assert!(report.integrity_warning.is_some(), "unlock warns at once");
    assert!(
        matches!(
            problem(&v),
            Problem::RolledBack { .. } | Problem::AnchorMismatch { .. }
        ),
        "{:?}",
        problem(&v)
    );
    // More activity must not erase the evidence.
    for i in 10..30 {
        v.add_credential(new_credential(&format!("k{i}"), &random_secret()))
            .unwrap();
    }
    assert!(
        matches!(problem(&v), Problem::AnchorMismatch { .. }),
        "{:?}",
        problem(&v)
    );
    v.reset_anchor("restored from backup on purpose").unwrap();
    assert!(
        v.verify_audit().unwrap().is_ok(),
        "an explicit, audited reset re-anchors the log"
    );
}

#[test]
fn a_missing_or_forged_anchor_is_named() {
    let (f, v) = populated();
    let anchor = f.path().join(ANCHOR_FILE);
    let bytes = std::fs::read(&anchor).unwrap();
    std::fs::remove_file(&anchor).unwrap();
    assert_eq!(problem(&v), Problem::AnchorMissing);
    let mut forged = bytes.clone();
    forged[50] ^= 1;
    std::fs::write(&anchor, &forged).unwrap();
    assert_eq!(problem(&v), Problem::AnchorInvalid);
    std::fs::write(&anchor, &bytes[..10]).unwrap();
    assert_eq!(problem(&v), Problem::AnchorInvalid);
}

#[test]
fn list_filters_by_action_credential_and_time() {
    let (_f, v) = populated();
    let reveals = v
        .audit_events(&Filter {
            action: Some("credential.reveal".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(reveals.len(), 10);
    let about_3 = v
        .audit_events(&Filter {
            credential_id: Some(3),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        about_3
            .iter()
            .map(|e| e.action.as_str())
            .collect::<Vec<_>>(),
        ["credential.reveal", "credential.add"]
    );
    let future = chrono::Utc::now() + chrono::Duration::days(1);
    assert!(v
        .audit_events(&Filter {
            since: Some(future),
            ..Default::default()
        })
        .unwrap()
        .is_empty());
    let all = v
        .audit_events(&Filter {
            until: Some(future),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(all.len(), 21);
    // Filter values are bound parameters: SQL in them is just text.
    let injected = v
        .audit_events(&Filter {
            action: Some("x' OR '1'='1".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(injected.is_empty());
    let page = v
        .audit_events(&Filter {
            limit: Some(5),
            before_seq: Some(10),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        page.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [9, 8, 7, 6, 5]
    );
}

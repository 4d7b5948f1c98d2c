use tallyvault::vault::{self, CredentialRef, NewCredential, Provider, Purpose};
use tallyvault::Error;

use crate::common::*;

#[test]
fn credentials_round_trip() {
    let f = Fixture::new();
    let v = f.create();
    let meta = v
        .add_credential(new_credential("work", "sk-proj-one"))
        .unwrap();
    assert_eq!(meta.provider, "openai");
    assert!(meta.last_used_at.is_none() && meta.rotated_at.is_none());

    let listed = vault::list_credentials(v.store()).unwrap();
    assert_eq!(
        listed,
        vec![meta.clone()],
        "list returns metadata only, as added"
    );

    let secret = v
        .read_secret(&CredentialRef::Label("work".into()), Purpose::Reveal)
        .unwrap();
    assert_eq!(secret.expose(), "sk-proj-one");
    let used = vault::list_credentials(v.store()).unwrap().remove(0);
    assert!(used.last_used_at.is_some(), "a reveal sets last_used_at");

    let rotated = v
        .rotate_secret(&CredentialRef::Id(meta.id), password("sk-proj-two"))
        .unwrap();
    assert!(rotated.rotated_at.is_some());
    assert_eq!(
        v.read_secret(&CredentialRef::Id(meta.id), Purpose::Use)
            .unwrap()
            .expose(),
        "sk-proj-two"
    );

    v.delete_credential(&CredentialRef::Id(meta.id)).unwrap();
    assert!(vault::list_credentials(v.store()).unwrap().is_empty());
    assert!(matches!(
        v.read_secret(&CredentialRef::Id(meta.id), Purpose::Reveal),
        Err(Error::NotFound(_))
    ));

    let actions: Vec<String> = v
        .audit_events(&Default::default())
        .unwrap()
        .into_iter()
        .rev()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "vault.create",
            "credential.add",
            "credential.reveal",
            "credential.rotate",
            "credential.use",
            "credential.delete"
        ]
    );
    assert!(v.verify_audit().unwrap().is_ok());
}

#[test]
fn notes_are_encrypted_and_readable() {
    let f = Fixture::new();
    let v = f.create();
    let mut new = new_credential("noted", "sk-proj-x");
    new.note = Some("billing account ✓".into());
    v.add_credential(new).unwrap();
    assert_eq!(
        v.read_note(&CredentialRef::Label("noted".into()))
            .unwrap()
            .as_deref(),
        Some("billing account ✓")
    );
}

#[test]
fn provider_is_detected_and_overridable() {
    let f = Fixture::new();
    let v = f.create();
    let detect = |label: &str, secret: &str| NewCredential {
        provider: None,
        label: label.into(),
        secret: password(secret),
        note: None,
        expires_at: None,
    };
    assert_eq!(
        v.add_credential(detect("a", "sk-ant-api03-xyz"))
            .unwrap()
            .provider,
        "anthropic"
    );
    assert_eq!(
        v.add_credential(detect("o", "sk-or-v1-abc"))
            .unwrap()
            .provider,
        "openrouter"
    );
    let err = v
        .add_credential(detect("d", "sk-0123456789abcdef0123456789abcdef"))
        .unwrap_err();
    assert!(
        err.to_string().contains("--provider"),
        "an ambiguous key asks for --provider: {err}"
    );
    let mut explicit = detect("d", "sk-0123456789abcdef0123456789abcdef");
    explicit.provider = Some(Provider::DeepSeek);
    assert_eq!(v.add_credential(explicit).unwrap().provider, "deepseek");
}

#[test]
fn wrong_password_is_uniform_and_changes_nothing_but_the_failure_count() {
    let f = Fixture::new();
    let v = f.create();
    v.add_credential(new_credential("k", "sk-proj-keep"))
        .unwrap();
    v.lock().unwrap();
    let snapshot = |conn: &rusqlite::Connection| -> Vec<String> {
        let mut out = Vec::new();
        for table in ["vault_meta", "credentials", "audit_log", "settings"] {
            let mut stmt = conn.prepare(&format!("SELECT * FROM {table}")).unwrap();
            let n = stmt.column_count();
            let rows = stmt
                .query_map([], |r| {
                    Ok((0..n)
                        .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                        .collect::<Vec<_>>()
                        .join("|"))
                })
                .unwrap();
            out.extend(rows.map(Result::unwrap));
        }
        out
    };
    let before = snapshot(&f.raw());
    for wrong in [
        "nope",
        "correct horse battery stapl",
        "CORRECT HORSE BATTERY STAPLE",
    ] {
        let err = f.unlock_with(wrong).unwrap_err();
        assert!(matches!(err, Error::WrongPassword));
        assert_eq!(err.to_string(), "wrong password");
    }
    assert_eq!(
        snapshot(&f.raw()),
        before,
        "a failed unlock must not change the vault"
    );

    let (v, report) = tallyvault::vault::Vault::unlock(
        f.path(),
        f.store(),
        &password(PASSWORD),
        &policy(),
        std::sync::Arc::new(tallyvault::clock::SystemClock),
    )
    .unwrap();
    assert_eq!(
        report.failed_attempts.len(),
        3,
        "the next unlock reports the failed attempts"
    );
    let events = v.audit_events(&Default::default()).unwrap();
    let folded = events
        .iter()
        .find(|e| e.action == "vault.unlock_failed")
        .expect("failed unlocks are chained");
    assert_eq!(folded.details["count"], 3);
    assert!(v.verify_audit().unwrap().is_ok());
}

#[test]
fn empty_password_is_refused() {
    let f = Fixture::new();
    let err = tallyvault::vault::Vault::create(
        f.path(),
        f.store(),
        &password(""),
        &policy(),
        std::sync::Arc::new(tallyvault::clock::SystemClock),
    )
    .unwrap_err();
    assert!(matches!(err, Error::EmptyPassword));
    assert!(!tallyvault::vault::exists(&f.store()).unwrap());
}

#[test]
fn a_one_megabyte_secret_and_unicode_labels_round_trip() {
    let f = Fixture::new();
    let v = f.create();
    let big: String = (0..1_048_576)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    v.add_credential(new_credential("big", &big)).unwrap();
    for label in ["🔑 prod key", "clé de l'équipe", "鍵", "ключ"] {
        v.add_credential(new_credential(label, "sk-proj-u"))
            .unwrap();
        assert_eq!(
            v.read_secret(&CredentialRef::Label(label.into()), Purpose::Reveal)
                .unwrap()
                .expose(),
            "sk-proj-u"
        );
    }
    assert_eq!(
        v.read_secret(&CredentialRef::Label("big".into()), Purpose::Reveal)
            .unwrap()
            .expose(),
        big
    );
}

#[test]
fn bad_credentials_are_refused_clearly() {
    let f = Fixture::new();
    let v = f.create();
    v.add_credential(new_credential("dup", "sk-proj-1"))
        .unwrap();
    assert!(v
        .add_credential(new_credential("dup", "sk-proj-2"))
        .unwrap_err()
        .to_string()
        .contains("already exists"));
    assert!(v.add_credential(new_credential("", "sk-proj-2")).is_err());
    assert!(v.add_credential(new_credential("empty", "  \n")).is_err());
    let expiring = |date: &str| NewCredential {
        expires_at: Some(date.to_string()),
        ..new_credential("expiring", "sk-proj-3")
    };
    for bad in ["2026-02-30", "next year", "2026-1-5x"] {
        let refused = v.add_credential(expiring(bad)).unwrap_err().to_string();
        assert!(refused.contains("YYYY-MM-DD"), "{bad}: {refused}");
    }
    let added = v.add_credential(expiring("2027-01-31")).unwrap();
    assert_eq!(added.expires_at.as_deref(), Some("2027-01-31"));
    assert!(matches!(
        v.read_secret(&CredentialRef::Label("none".into()), Purpose::Reveal),
        Err(Error::NotFound(_))
    ));
}

#[test]
fn lock_forgets_the_keys() {
    let f = Fixture::new();
    let v = f.create();
    v.add_credential(new_credential("k", "sk-proj-1")).unwrap();
    v.lock().unwrap();
    assert!(!v.is_unlocked());
    assert!(matches!(
        v.read_secret(&CredentialRef::Id(1), Purpose::Reveal),
        Err(Error::Locked)
    ));
    assert!(matches!(
        v.add_credential(new_credential("x", "sk-proj-2")),
        Err(Error::Locked)
    ));
}

#[test]
fn changing_the_password_rewraps_only_the_key() {
    let f = Fixture::new();
    let v = f.create();
    v.add_credential(new_credential("k", "sk-proj-keep"))
        .unwrap();
    let blob_before: Vec<u8> = f
        .raw()
        .query_row("SELECT secret FROM credentials", [], |r| r.get(0))
        .unwrap();
    v.change_password(&password("a new password"), &policy())
        .unwrap();
    v.lock().unwrap();
    assert!(matches!(f.unlock(), Err(Error::WrongPassword)));
    let v = f.unlock_with("a new password").unwrap();
    assert_eq!(
        v.read_secret(&CredentialRef::Id(1), Purpose::Reveal)
            .unwrap()
            .expose(),
        "sk-proj-keep"
    );
    let blob_after: Vec<u8> = f
        .raw()
        .query_row("SELECT secret FROM credentials", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        blob_before, blob_after,
        "a password change must not touch the secrets"
    );
    assert!(v.verify_audit().unwrap().is_ok());
}

#[test]
fn rotating_the_data_key_reencrypts_everything_and_keeps_the_log_verifiable() {
    let f = Fixture::new();
    let v = f.create();
    for i in 0..5 {
        v.add_credential(new_credential(&format!("k{i}"), &format!("sk-proj-{i}")))
            .unwrap();
    }
    let before: Vec<Vec<u8>> = f
        .raw()
        .prepare("SELECT secret FROM credentials ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(matches!(
        v.rotate_data_key(&password("wrong"), &policy()),
        Err(Error::WrongPassword)
    ));
    assert_eq!(
        v.rotate_data_key(&password(PASSWORD), &policy()).unwrap(),
        5
    );
    let after: Vec<Vec<u8>> = f
        .raw()
        .prepare("SELECT secret FROM credentials ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        before.iter().zip(&after).all(|(a, b)| a != b),
        "every secret is re-encrypted"
    );
    assert!(v.verify_audit().unwrap().is_ok());
    v.lock().unwrap();
    let v = f.unlock().unwrap();
    for i in 0..5 {
        let s = v
            .read_secret(&CredentialRef::Label(format!("k{i}")), Purpose::Reveal)
            .unwrap();
        assert_eq!(s.expose(), format!("sk-proj-{i}"));
    }
    assert!(v.verify_audit().unwrap().is_ok());
}

#[test]
fn backups_restore_into_a_fresh_directory_only_with_the_password() {
    let f = Fixture::new();
    let v = f.create();
    v.add_credential(new_credential("k", "sk-proj-backed-up"))
        .unwrap();
    let file = f.path().join("backup.tvb");
    assert!(matches!(
        v.export_backup(&file, &password("wrong"), &policy()),
        Err(Error::WrongPassword)
    ));
    v.export_backup(&file, &password(PASSWORD), &policy())
        .unwrap();
    let bytes = std::fs::read(&file).unwrap();
    assert!(!bytes.windows(17).any(|w| w == b"sk-proj-backed-up"));

    let fresh = Fixture::new();
    let target = fresh.path().join("restored");
    let clock = || std::sync::Arc::new(tallyvault::clock::SystemClock);
    let err = tallyvault::vault::Vault::import_backup(
        &target,
        &file,
        &password("wrong"),
        &policy(),
        clock(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::WrongPassword));
    let restored = tallyvault::vault::Vault::import_backup(
        &target,
        &file,
        &password(PASSWORD),
        &policy(),
        clock(),
    )
    .unwrap();
    assert_eq!(
        restored
            .read_secret(&CredentialRef::Label("k".into()), Purpose::Reveal)
            .unwrap()
            .expose(),
        "sk-proj-backed-up"
    );
    assert!(restored.verify_audit().unwrap().is_ok());
    let again = tallyvault::vault::Vault::import_backup(
        &target,
        &file,
        &password(PASSWORD),
        &policy(),
        clock(),
    );
    assert!(
        matches!(again, Err(Error::VaultExists(_))),
        "a restore never overwrites a vault"
    );

    let mut corrupt = bytes.clone();
    let mid = corrupt.len() / 2;
    corrupt[mid] ^= 1;
    let corrupt_file = fresh.path().join("corrupt.tvb");
    std::fs::write(&corrupt_file, corrupt).unwrap();
    let target2 = fresh.path().join("restored2");
    assert!(tallyvault::vault::Vault::import_backup(
        &target2,
        &corrupt_file,
        &password(PASSWORD),
        &policy(),
        clock()
    )
    .is_err());
    assert!(
        !target2.join(tallyvault::store::DB_FILE).exists(),
        "a failed restore leaves nothing behind"
    );
}

#[test]
fn env_import_reports_without_secrets() {
    let f = Fixture::new();
    let v = f.create();
    v.add_credential(new_credential("GROQ_API_KEY", "gsk_existing"))
        .unwrap();
    let text = "\u{feff}# team keys\r\nexport OPENAI_API_KEY=\"sk-proj-aaa111\"\r\nANTHROPIC_ADMIN_KEY='sk-ant-admin01-bbb'\n\
                DEEPSEEK_API_KEY=sk-0123456789abcdef0123456789abcdef # prod\nDATABASE_URL=postgres://u:pw@h/db\n\
                GROQ_API_KEY=gsk_new\nbroken line sk-proj-zzz999\nMYSTERY_TOKEN=qwerty123456\n";
    let report = v.import_env(text).unwrap();
    let imported: Vec<(&str, &str)> = report
        .imported
        .iter()
        .map(|i| (i.variable.as_str(), i.provider.as_str()))
        .collect();
    assert_eq!(
        imported,
        [
            ("OPENAI_API_KEY", "openai"),
            ("ANTHROPIC_ADMIN_KEY", "anthropic"),
            ("DEEPSEEK_API_KEY", "deepseek")
        ]
    );
    let skipped: Vec<usize> = report.skipped.iter().map(|s| s.line).collect();
    assert_eq!(skipped, [5, 6, 7, 8]);
    let json = serde_json::to_string(&report).unwrap();
    for secret in [
        "aaa111",
        "bbb",
        "0123456789abcdef",
        "pw@h",
        "gsk_new",
        "zzz999",
        "qwerty",
    ] {
        assert!(
            !json.contains(secret),
            "the report must not contain {secret:?}"
        );
    }
    let d = v
        .read_secret(
            &CredentialRef::Label("DEEPSEEK_API_KEY".into()),
            Purpose::Reveal,
        )
        .unwrap();
    assert_eq!(
        d.expose(),
        "sk-0123456789abcdef0123456789abcdef",
        "the trailing comment is not part of the value"
    );
}

#[test]
fn settings_changes_are_audited() {
    let f = Fixture::new();
    let v = f.create();
    v.set_setting("auto_lock_minutes", "5").unwrap();
    assert_eq!(
        vault::setting(v.store(), "auto_lock_minutes")
            .unwrap()
            .as_deref(),
        Some("5")
    );
    let events = v
        .audit_events(&tallyvault::audit::Filter {
            action: Some("settings.change".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(events.len(), 1);
}

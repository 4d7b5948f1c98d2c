//! No plaintext secret in any file of the data directory, nor in anything the CLI prints besides `reveal`.

use std::path::Path;

use tallyvault::vault::{CredentialRef, Purpose};

use crate::common::*;

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Fails when `haystack` holds any secret, or the distinctive last 16 bytes of one (a trimmed or re-encoded
/// prefix would not hide those).
fn assert_absent(haystack: &[u8], secrets: &[String], what: &str) {
    let needles = secrets
        .iter()
        .flat_map(|s| [s.as_bytes(), &s.as_bytes()[s.len() - 16..]]);
    let matcher = aho_corasick::AhoCorasick::new(needles).expect("patterns");
    assert!(
        matcher.find(haystack).is_none(),
        "{what} contains (part of) a plaintext secret"
    );
}

#[test]
fn a_hundred_random_secrets_leave_no_plaintext_in_the_data_dir() {
    let f = Fixture::new();
    let v = f.create();
    let secrets: Vec<String> = (0..100).map(|_| random_secret()).collect();
    for (i, s) in secrets.iter().enumerate() {
        let mut new = new_credential(&format!("cred-{i}"), s);
        new.note = Some(format!("note for {i}"));
        v.add_credential(new).unwrap();
    }
    for i in (0..100).step_by(7) {
        v.read_secret(&CredentialRef::Label(format!("cred-{i}")), Purpose::Copy)
            .unwrap();
    }
    // errors that mention credentials
    let err = v
        .add_credential(new_credential("cred-1", &secrets[1]))
        .unwrap_err();
    assert_absent(
        format!("{err} {err:?}").as_bytes(),
        &secrets,
        "an error message",
    );
    assert_absent(
        format!("{v:?}").as_bytes(),
        &secrets,
        "the vault's Debug output",
    );
    v.export_backup(&f.path().join("backup.tvb"), &password(PASSWORD), &policy())
        .unwrap();
    // keep the WAL: check it while the pool is open, then after close
    let files = files_under(f.path());
    assert!(
        files.iter().any(|p| p.to_string_lossy().ends_with("-wal")),
        "the WAL is part of the check"
    );
    for path in &files {
        assert_absent(
            &std::fs::read(path).unwrap(),
            &secrets,
            &path.display().to_string(),
        );
    }
    v.lock().unwrap();
    drop(v);
    for path in files_under(f.path()) {
        assert_absent(
            &std::fs::read(&path).unwrap(),
            &secrets,
            &path.display().to_string(),
        );
    }
}

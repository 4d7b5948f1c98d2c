//! Stored blobs and the vault header, altered on disk: always a clear refusal, never wrong data or a panic.

use std::sync::Arc;

use tallyvault::clock::SystemClock;
use tallyvault::crypto::KdfPolicy;
use tallyvault::vault::{CredentialRef, Purpose, Vault};
use tallyvault::Error;

use crate::common::*;

#[test]
fn every_byte_of_a_stored_secret_blob_is_protected() {
    let f = Fixture::new();
    let v = f.create();
    v.add_credential(new_credential("k", "sk-proj-tamper-me"))
        .unwrap();
    let blob: Vec<u8> = f
        .raw()
        .query_row("SELECT secret FROM credentials WHERE id = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    // version (0), nonce (1..13), ciphertext (13..len-16), GCM tag (last 16)
    let mut cases = 0;
    for i in 0..blob.len() {
        let mut bad = blob.clone();
        bad[i] ^= 0x5a;
        f.raw()
            .execute("UPDATE credentials SET secret = ?1 WHERE id = 1", [&bad])
            .unwrap();
        match v.read_secret(&CredentialRef::Id(1), Purpose::Reveal) {
            Err(Error::Integrity(_)) => cases += 1,
            Err(other) => panic!("byte {i}: expected an integrity error, got {other}"),
            Ok(_) => panic!("byte {i}: a tampered blob must never decrypt"),
        }
    }
    assert_eq!(cases, blob.len());
    f.raw()
        .execute("UPDATE credentials SET secret = ?1 WHERE id = 1", [&blob])
        .unwrap();
    assert_eq!(
        v.read_secret(&CredentialRef::Id(1), Purpose::Reveal)
            .unwrap()
            .expose(),
        "sk-proj-tamper-me"
    );
}

#[test]
fn blobs_swapped_between_rows_or_columns_are_refused() {
    let f = Fixture::new();
    let v = f.create();
    let mut a = new_credential("a", "sk-proj-aaaa");
    a.note = Some("note a".into());
    v.add_credential(a).unwrap();
    v.add_credential(new_credential("b", "sk-proj-bbbb"))
        .unwrap();
    let conn = f.raw();
    conn.execute_batch(
        "UPDATE credentials SET secret = (SELECT secret FROM credentials WHERE id = 2) WHERE id = 1;",
    )
    .unwrap();
    assert!(
        matches!(
            v.read_secret(&CredentialRef::Id(1), Purpose::Reveal),
            Err(Error::Integrity(_))
        ),
        "row swap"
    );
    conn.execute_batch("UPDATE credentials SET secret = note WHERE id = 1;")
        .unwrap();
    assert!(
        matches!(
            v.read_secret(&CredentialRef::Id(1), Purpose::Reveal),
            Err(Error::Integrity(_))
        ),
        "column swap"
    );
}

#[test]
fn a_lowered_iteration_count_or_another_algorithm_is_refused() {
    let f = Fixture::new();
    f.create().lock().unwrap();
    // Cheap test vaults have 1,000 iterations; lowering them breaks the header's binding.
    f.raw()
        .execute("UPDATE vault_meta SET kdf_iterations = 999", [])
        .unwrap();
    assert!(matches!(f.unlock(), Err(Error::WrongPassword)));
    f.raw()
        .execute(
            "UPDATE vault_meta SET kdf_iterations = 1000, kdf_algorithm = 'pbkdf2-hmac-sha1'",
            [],
        )
        .unwrap();
    assert!(matches!(f.unlock(), Err(Error::UnsupportedFormat(_))));
    f.raw()
        .execute(
            "UPDATE vault_meta SET kdf_algorithm = 'pbkdf2-hmac-sha256'",
            [],
        )
        .unwrap();
    assert!(f.unlock().is_ok());
}

#[test]
fn a_real_vault_below_the_floor_is_refused_before_any_key_work() {
    let f = Fixture::new();
    let real = KdfPolicy::default();
    let v = Vault::create(
        f.path(),
        f.store(),
        &password(PASSWORD),
        &real,
        Arc::new(SystemClock),
    )
    .unwrap();
    v.lock().unwrap();
    let iterations: u32 = f
        .raw()
        .query_row("SELECT kdf_iterations FROM vault_meta", [], |r| r.get(0))
        .unwrap();
    assert_eq!(iterations, 600_000);
    f.raw()
        .execute("UPDATE vault_meta SET kdf_iterations = 100000", [])
        .unwrap();
    let err = Vault::unlock(
        f.path(),
        f.store(),
        &password(PASSWORD),
        &real,
        Arc::new(SystemClock),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::KdfTooWeak {
                iterations: 100_000,
                minimum: 600_000
            }
        ),
        "{err}"
    );
}

#[test]
fn a_tampered_wrapped_key_reads_as_a_wrong_password() {
    let f = Fixture::new();
    f.create().lock().unwrap();
    let wrapped: Vec<u8> = f
        .raw()
        .query_row("SELECT wrapped_data_key FROM vault_meta", [], |r| r.get(0))
        .unwrap();
    for i in 0..wrapped.len() {
        let mut bad = wrapped.clone();
        bad[i] ^= 1;
        f.raw()
            .execute("UPDATE vault_meta SET wrapped_data_key = ?1", [&bad])
            .unwrap();
        assert!(matches!(f.unlock(), Err(Error::WrongPassword)), "byte {i}");
    }
}

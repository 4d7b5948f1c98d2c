use super::*;

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// A blob made by this code on 2026-11-22. If the format changes, this stops decrypting: bump
/// `BLOB_VERSION` and keep reading version 1 instead of editing this vector.
const GOLDEN_BLOB: &str =
    "0117c3ee2bde034351149792e03cbe3c2c70d8a43b0d13733e68b13a80f7083e817f6225e1039b2d1aea4125cc";

#[test]
fn golden_blob_still_decrypts() {
    let key = Key::from_bytes([7u8; 32]);
    let plain = open(
        &key,
        &field_aad("credentials", "secret", 42),
        &hex(GOLDEN_BLOB),
    )
    .expect("golden blob");
    assert_eq!(plain.expose(), b"sk-golden-vector");
}

#[test]
fn kdf_and_hkdf_match_independent_implementations() {
    // Expected values computed with Python's hashlib.pbkdf2_hmac and hmac (RFC 5869 by hand).
    let policy = KdfPolicy::insecure_for_tests(1000);
    let params = KdfParams {
        algorithm: KDF_ALGORITHM.into(),
        iterations: 1000,
        salt: b"saltsaltsaltsalt".to_vec(),
    };
    let kek = derive_kek(&SecretString::new("password".into()), &params, &policy).unwrap();
    assert_eq!(
        kek.expose().to_vec(),
        hex("f275fb870144cc807c68f6a325360af3078741ce4d833d2915500abd2bb88d00")
    );
    let sub = subkey(&Key::from_bytes([7u8; 32]), "field-encryption");
    assert_eq!(
        sub.expose().to_vec(),
        hex("b598e7d225b0c682ec9a2be393fbdd7f1706fd90714d3d113b5eb25d874a72c5")
    );
}

#[test]
fn each_seal_uses_a_fresh_nonce() {
    let key = random_key();
    let a = seal(&key, b"aad", b"same");
    let b = seal(&key, b"aad", b"same");
    assert_ne!(a[1..13], b[1..13], "two seals must not share a nonce");
}

#[test]
fn every_flipped_byte_is_an_integrity_error() {
    let key = random_key();
    let aad = field_aad("credentials", "secret", 1);
    let blob = seal(&key, &aad, b"sk-test-secret");
    for i in 0..blob.len() {
        for bit in [0x01u8, 0x80] {
            let mut bad = blob.clone();
            bad[i] ^= bit;
            assert!(
                matches!(open(&key, &aad, &bad), Err(Error::Integrity(_))),
                "byte {i} bit {bit:#x}"
            );
        }
    }
    for len in 0..blob.len() {
        assert!(
            matches!(open(&key, &aad, &blob[..len]), Err(Error::Integrity(_))),
            "truncated to {len}"
        );
    }
}

#[test]
fn a_blob_is_bound_to_its_row_and_column() {
    let key = random_key();
    let blob = seal(&key, &field_aad("credentials", "secret", 1), b"x");
    assert!(open(&key, &field_aad("credentials", "secret", 2), &blob).is_err());
    assert!(open(&key, &field_aad("credentials", "note", 1), &blob).is_err());
    assert!(open(&key, &field_aad("credentials", "secret", 1), &blob).is_ok());
}

#[test]
fn the_policy_refuses_weak_or_unknown_parameters() {
    let policy = KdfPolicy::default();
    let mut params = KdfParams::generate(&policy);
    assert_eq!(params.iterations, 600_000);
    params.iterations = 599_999;
    assert!(matches!(
        policy.check(&params),
        Err(Error::KdfTooWeak { .. })
    ));
    params.iterations = 600_000;
    params.algorithm = "md5".into();
    assert!(matches!(
        policy.check(&params),
        Err(Error::UnsupportedFormat(_))
    ));
}

#[test]
fn an_absurd_iteration_count_is_refused_before_any_key_work() {
    // A header or backup edited to ask for 2^31 rounds would otherwise keep an unlock busy for hours.
    for policy in [KdfPolicy::default(), KdfPolicy::insecure_for_tests(1)] {
        let mut params = KdfParams::generate(&policy);
        params.iterations = KDF_MAX_ITERATIONS;
        assert!(
            policy.check(&params).is_ok(),
            "the ceiling itself is allowed"
        );
        for iterations in [KDF_MAX_ITERATIONS + 1, 0x8000_03e8, u32::MAX] {
            params.iterations = iterations;
            let started = std::time::Instant::now();
            let err = derive_kek(&SecretString::new("pw".into()), &params, &policy).unwrap_err();
            assert!(matches!(err, Error::Integrity(_)), "{iterations}: {err}");
            assert!(
                started.elapsed() < std::time::Duration::from_secs(1),
                "refused at once"
            );
        }
    }
}

#[test]
fn empty_password_is_refused() {
    let policy = KdfPolicy::insecure_for_tests(1);
    let params = KdfParams::generate(&policy);
    assert!(matches!(
        derive_kek(&SecretString::new(String::new()), &params, &policy),
        Err(Error::EmptyPassword)
    ));
}

#[test]
fn secrets_do_not_print() {
    let s = SecretString::new("sk-visible?".into());
    let k = Key::from_bytes([9u8; 32]);
    let b = SecretBytes::new(b"sk-visible?".to_vec());
    for text in [format!("{s:?}"), format!("{k:?}"), format!("{b:?}")] {
        assert!(
            !text.contains("visible") && !text.contains("9, 9"),
            "Debug leaked: {text}"
        );
    }
}

//! Vault and audit benchmarks (issue 2): unlock overhead beyond PBKDF2, decrypt latency, durable audit
//! appends, and verifying 100,000 audit events. Run: `cargo bench --bench vault`.

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use sha2::Sha256;
use tallyvault::audit::{self, Anchor, AuditKeys};
use tallyvault::clock::SystemClock;
use tallyvault::crypto::{self, KdfParams, KdfPolicy, SecretString};
use tallyvault::store::Store;
use tallyvault::vault::{CredentialRef, NewCredential, Provider, Purpose, Vault};

fn password() -> SecretString {
    SecretString::new("correct horse battery staple".into())
}

fn unlock(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let policy = KdfPolicy::default();
    let store = Store::open(dir.path()).unwrap();
    Vault::create(
        dir.path(),
        store.clone(),
        &password(),
        &policy,
        Arc::new(SystemClock),
    )
    .unwrap()
    .lock()
    .unwrap();
    let mut group = c.benchmark_group("unlock");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    let params = KdfParams::generate(&policy);
    group.bench_function("bare_pbkdf2_600k", |b| {
        b.iter(|| {
            let mut out = [0u8; 32];
            pbkdf2::pbkdf2_hmac::<Sha256>(
                b"correct horse battery staple",
                &params.salt,
                600_000,
                &mut out,
            );
            out
        })
    });
    group.bench_function("vault_unlock_600k", |b| {
        b.iter(|| {
            Vault::unlock(
                dir.path(),
                store.clone(),
                &password(),
                &policy,
                Arc::new(SystemClock),
            )
            .unwrap()
        })
    });
    group.finish();
}

fn credentials(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let policy = KdfPolicy::default();
    let vault = Vault::create(
        dir.path(),
        store,
        &password(),
        &policy,
        Arc::new(SystemClock),
    )
    .unwrap();
    vault
        .add_credential(NewCredential {
            provider: Some(Provider::OpenAI),
            label: "bench".into(),
            secret: SecretString::new("sk-proj-0123456789abcdefT3BlbkFJ0123456789abcdef".into()),
            note: None,
            expires_at: None,
        })
        .unwrap();
    let key = crypto::random_key();
    let aad = crypto::field_aad("credentials", "secret", 1);
    let blob = crypto::seal(
        &key,
        &aad,
        b"sk-proj-0123456789abcdefT3BlbkFJ0123456789abcdef",
    );
    let mut group = c.benchmark_group("credential");
    group.bench_function("decrypt_field", |b| {
        b.iter(|| crypto::open(&key, &aad, &blob).unwrap())
    });
    group.bench_function("read_secret_audited_durable", |b| {
        b.iter(|| {
            vault
                .read_secret(&CredentialRef::Id(1), Purpose::Use)
                .unwrap()
        })
    });
    group.bench_function("audit_append_durable", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            vault.set_setting("bench", &i.to_string()).unwrap()
        })
    });
    group.finish();
}

/// A bare store with a vault header and `n` audit events, for verification.
fn log_with_events(n: usize) -> (tempfile::TempDir, Store, crypto::Key, crypto::Key) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let (field, mac) = (crypto::random_key(), crypto::random_key());
    let keys = AuditKeys {
        field: &field,
        mac: &mac,
    };
    let now = chrono::Utc::now();
    let head = store
        .write(|tx| {
            tx.execute(
                "INSERT INTO vault_meta (id, format_version, kdf_algorithm, kdf_iterations, kdf_salt,
                                         wrapped_data_key, created_at)
                 VALUES (1, 1, 'pbkdf2-hmac-sha256', 600000, x'00', x'00', '')",
                [],
            )?;
            let mut head = None;
            for i in 0..n {
                let details = serde_json::json!({"label": format!("credential-{}", i % 50), "provider": "openai"});
                head = Some(audit::append(tx, &keys, now, "credential.use", Some((i % 50) as i64), &details)?);
            }
            Ok(head)
        })
        .unwrap();
    Anchor::new(&mac, head.unwrap()).write(dir.path()).unwrap();
    (dir, store, field, mac)
}

fn verify(c: &mut Criterion) {
    let (dir, store, field, mac) = log_with_events(100_000);
    let keys = AuditKeys {
        field: &field,
        mac: &mac,
    };
    let mut group = c.benchmark_group("audit");
    group.sample_size(10);
    group.bench_function("verify_100k_events", |b| {
        b.iter_batched(
            || Anchor::read(dir.path()).unwrap(),
            |anchor| {
                let report = store
                    .read(|tx| audit::verify(tx, &keys, anchor.as_ref()))
                    .unwrap();
                assert!(report.is_ok() && report.events == 100_000);
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, unlock, credentials, verify);
criterion_main!(benches);

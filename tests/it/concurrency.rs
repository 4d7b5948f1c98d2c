//! Many threads through one pool: no SQLITE_BUSY reaches the caller and the chain stays gapless.

use std::sync::Arc;

use tallyvault::vault::{self, CredentialRef, Purpose};

use crate::common::*;

#[test]
fn sixteen_threads_mixing_writes_reads_and_appends() {
    let f = Fixture::new();
    let v = Arc::new(f.create());
    const THREADS: usize = 16;
    const ROUNDS: usize = 12;
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let v = Arc::clone(&v);
            std::thread::spawn(move || -> tallyvault::Result<usize> {
                let mut events = 0;
                for r in 0..ROUNDS {
                    let label = format!("t{t}-r{r}");
                    let secret = format!("sk-proj-{t}-{r}");
                    v.add_credential(new_credential(&label, &secret))?;
                    let read = v.read_secret(&CredentialRef::Label(label.clone()), Purpose::Use)?;
                    assert_eq!(
                        read.expose(),
                        secret,
                        "a reader sees what its writer stored"
                    );
                    vault::list_credentials(v.store())?;
                    v.set_setting(&format!("thread-{t}"), &r.to_string())?;
                    if r % 3 == 2 {
                        v.rotate_secret(
                            &CredentialRef::Label(label),
                            tallyvault::crypto::SecretString::new(format!("{secret}-b")),
                        )?;
                        events += 1;
                    }
                    events += 3;
                }
                Ok(events)
            })
        })
        .collect();
    let mut expected_events = 1; // vault.create
    for h in handles {
        expected_events += h
            .join()
            .expect("no thread panics")
            .expect("no error surfaces, SQLITE_BUSY included");
    }
    let report = v.verify_audit().unwrap();
    assert!(report.is_ok(), "{:?}", report.problem);
    assert_eq!(
        report.events, expected_events as i64,
        "every append is in the gapless chain"
    );
    assert_eq!(
        vault::list_credentials(v.store()).unwrap().len(),
        THREADS * ROUNDS
    );
}

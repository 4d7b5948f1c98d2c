//! SIGKILL a writer at random moments: the database always opens, passes `integrity_check`, the audit log
//! verifies, and every write the child reported as committed is there.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use tallyvault::vault::{self, CredentialRef, Purpose};

use crate::common::*;

const CHILD_ENV: &str = "TALLYVAULT_CRASH_CHILD_DIR";

/// The child: writes in a loop and reports each committed write on stdout. Runs only when spawned below.
#[test]
#[ignore = "spawned by sigkill_during_writes"]
fn crash_child_writer() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let trial: String = std::env::var("TALLYVAULT_CRASH_TRIAL").unwrap_or_default();
    let dir = std::path::PathBuf::from(dir);
    let store = tallyvault::store::Store::open(&dir).unwrap();
    let (v, _) = tallyvault::vault::Vault::unlock(
        &dir,
        store,
        &password(PASSWORD),
        &policy(),
        std::sync::Arc::new(tallyvault::clock::SystemClock),
    )
    .unwrap();
    let mut out = std::io::stdout().lock();
    for i in 0.. {
        let label = format!("t{trial}-{i}");
        v.add_credential(new_credential(&label, &format!("sk-proj-{label}")))
            .unwrap();
        writeln!(out, "committed {label}").unwrap();
        if i % 4 == 3 {
            v.rotate_secret(
                &CredentialRef::Label(label.clone()),
                password(&format!("sk-proj-{label}-r")),
            )
            .unwrap();
            writeln!(out, "rotated {label}").unwrap();
        }
        if i % 5 == 4 {
            v.set_setting("last", &label).unwrap();
        }
        out.flush().unwrap();
    }
}

#[test]
fn sigkill_during_writes() {
    let f = Fixture::new();
    f.create().lock().unwrap();
    let exe = std::env::current_exe().unwrap();
    let trials = 24;
    let mut committed: Vec<String> = Vec::new();
    let mut rotated: Vec<String> = Vec::new();
    for trial in 0..trials {
        let mut child = Command::new(&exe)
            .args([
                "crash::crash_child_writer",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, f.path())
            .env("TALLYVAULT_CRASH_TRIAL", trial.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<String>>()
        });
        let r = tallyvault::crypto::random_bytes(2);
        let delay = 30 + u64::from(u16::from_be_bytes([r[0], r[1]]) % 400);
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        for line in reader.join().unwrap() {
            if let Some(label) = line.strip_prefix("committed ") {
                committed.push(label.to_string());
            } else if let Some(label) = line.strip_prefix("rotated ") {
                rotated.push(label.to_string());
            }
        }

        let conn = f.raw();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "trial {trial}: integrity_check");
        drop(conn);
        let v = f
            .unlock()
            .unwrap_or_else(|e| panic!("trial {trial}: the vault must open: {e}"));
        let report = v.verify_audit().unwrap();
        assert!(
            report.is_ok(),
            "trial {trial}: audit verify: {:?}",
            report.problem
        );
        let labels: std::collections::HashSet<String> = vault::list_credentials(v.store())
            .unwrap()
            .into_iter()
            .map(|c| c.label)
            .collect();
        for label in &committed {
            assert!(
                labels.contains(label),
                "trial {trial}: committed {label} is lost"
            );
        }
        for label in &rotated {
            let s = v
                .read_secret(&CredentialRef::Label(label.clone()), Purpose::Use)
                .unwrap();
            assert_eq!(
                s.expose(),
                format!("sk-proj-{label}-r"),
                "trial {trial}: rotation of {label} is lost"
            );
        }
        v.lock().unwrap();
    }
    assert!(
        committed.len() >= trials,
        "the children did write ({} commits)",
        committed.len()
    );
}

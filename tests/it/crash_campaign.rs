//! The crash campaign: the `tallyvault` binary is SIGKILLed at random moments during scans, polls (against the
//! fake provider), CSV imports, password changes, key rotations, budget edits and backup restores. After every
//! trial the database opens, `PRAGMA integrity_check` is ok, the vault unlocks, `audit verify` is OK, and
//! everything a command that completed reported is there; a killed command left all of its change or none,
//! and running it again finishes the job without counting anything twice.
//!
//! Size knob: `TALLYVAULT_HARDEN_SCALE` (default 1): 4 × scale trials per kind, 7 kinds (28 trials; 112 at
//! scale 4).

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tallyvault::clock::SystemClock;
use tallyvault::store::{Store, DB_FILE};
use tallyvault::vault::{CredentialRef, Purpose, Vault};

use crate::common::*;
use crate::providers_fake::{FakeProvider, Tokens, DAY, HOUR};
use crate::tamper_sweep::harden_scale;

fn trials_per_kind() -> usize {
    4 * harden_scale()
}

struct Home {
    dir: tempfile::TempDir,
    password: String,
}

impl Home {
    fn new() -> Home {
        Home {
            dir: tempfile::tempdir().expect("home"),
            password: PASSWORD.to_string(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tallyvault"));
        cmd.args(args)
            .env("TALLYVAULT_HOME", self.path())
            .env("HOME", self.path())
            .env("TZ", "UTC")
            .env("TALLYVAULT_PASSWORD", &self.password)
            .env("TALLYVAULT_INSECURE_TEST_KDF", "1000")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Runs to completion and insists on success.
    fn ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let mut child = self.command(args).spawn().expect("spawn tallyvault");
        let mut pipe = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            let _ = pipe.write_all(text.as_bytes());
        }
        drop(pipe);
        let out = child.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn store(&self) -> Store {
        Store::open(self.path()).expect("the database opens after a kill")
    }

    fn vault(&self) -> Vault {
        Vault::unlock(
            self.path(),
            self.store(),
            &password(&self.password),
            &policy(),
            Arc::new(SystemClock),
        )
        .unwrap_or_else(|e| panic!("the vault unlocks after a kill: {e}"))
        .0
    }
}

/// A pseudo-random number from the OS (trials need no reproducible schedule: every kill point must hold).
fn random_below(n: u64) -> u64 {
    let b = tallyvault::crypto::random_bytes(8);
    u64::from_le_bytes(b.try_into().expect("8 bytes")) % n.max(1)
}

/// Starts `cmd`, waits a random 30 to 120 % of `typical` (the first third is mostly process start-up), and
/// SIGKILLs it unless it has finished.
/// Returns whether it completed successfully before the kill.
fn run_and_kill(mut cmd: Command, stdin: Option<&str>, typical: Duration) -> bool {
    let mut child: Child = cmd.spawn().expect("spawn tallyvault");
    let mut pipe = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        let _ = pipe.write_all(text.as_bytes());
    }
    drop(pipe);
    let typical = typical.as_micros() as u64;
    let wait = typical * 3 / 10 + random_below(typical * 9 / 10 + 1);
    let deadline = Instant::now() + Duration::from_micros(wait);
    while Instant::now() < deadline {
        if child.try_wait().ok().flatten().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let completed = match child.try_wait() {
        Ok(Some(status)) => status.success(),
        _ => {
            let _ = child.kill(); // SIGKILL
            false
        }
    };
    let out = child.wait_with_output().expect("reap");
    if out.status.code().is_some() && !out.status.success() {
        panic!(
            "the command failed on its own (not killed): {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    completed
}

/// How long a command takes when it is not killed.
fn time(home: &Home, args: &[&str], stdin: Option<&str>) -> Duration {
    let started = Instant::now();
    home.ok(args, stdin);
    started.elapsed()
}

/// The checks after every trial: the file is sound, the vault unlocks and its audit log verifies.
fn check_sound(home: &Home, what: &str) -> Vault {
    let conn = rusqlite::Connection::open(home.path().join(DB_FILE)).expect("raw open");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check runs");
    assert_eq!(check, "ok", "{what}: integrity_check");
    drop(conn);
    let v = home.vault();
    let report = v.verify_audit().expect("verify runs");
    assert!(report.is_ok(), "{what}: audit verify: {:?}", report.problem);
    v
}

/// A vault with a few credentials, made through the CLI.
fn home_with_vault(credentials: usize) -> (Home, Vec<(String, String)>) {
    let home = Home::new();
    home.ok(&["init"], None);
    let mut secrets = Vec::new();
    for i in 0..credentials {
        let secret = random_secret();
        let label = format!("key-{i}");
        home.ok(
            &["creds", "add", "--label", &label, "--provider", "openai"],
            Some(&format!("{secret}\n")),
        );
        secrets.push((label, secret));
    }
    (home, secrets)
}

fn assert_secrets(v: &Vault, secrets: &[(String, String)], what: &str) {
    for (label, secret) in secrets {
        let read = v
            .read_secret(&CredentialRef::Label(label.clone()), Purpose::Use)
            .unwrap_or_else(|e| panic!("{what}: {label} reads back: {e}"));
        assert_eq!(read.expose(), secret, "{what}: {label} is intact");
    }
}

/// Where the kills of one kind landed, as far as the state afterwards tells.
#[derive(Default)]
struct Trials {
    trials: usize,
    completed: usize,
    /// killed, and its change had committed
    after: usize,
    /// killed, and nothing of its change is there
    before: usize,
    /// killed part-way through a command that commits in steps (a scan's chunks, a poll's windows)
    partial: usize,
}

impl Trials {
    fn report(&self, kind: &str) {
        eprintln!(
            "crash campaign: {kind}: {} trials: {} completed, killed {} times after its change committed, {} \
             before, {} part-way",
            self.trials, self.completed, self.after, self.before, self.partial
        );
        assert_eq!(self.trials, trials_per_kind(), "{kind}: every trial ran");
        assert_eq!(
            self.completed + self.after + self.before + self.partial,
            self.trials,
            "{kind}: every trial is classified"
        );
    }
}

#[test]
fn sigkill_during_scans() {
    let (home, _) = home_with_vault(1);
    let logs = home.path().join("claude/projects");
    let mut expected_tokens = 0u64;
    let mut expected_records = 0u64;
    for f in 0..30 {
        let dir = logs.join(format!("-home-u-p{}", f % 3));
        std::fs::create_dir_all(&dir).expect("project dir");
        let mut text = String::new();
        for l in 0..400 {
            let (input, output) = (100 + l, 7 + f);
            expected_tokens += (input + output) as u64;
            expected_records += 1;
            text.push_str(&format!(
                r#"{{"type":"assistant","timestamp":"2026-10-{:02}T10:{:02}:00.000Z","requestId":"req-{f}-{l}","message":{{"id":"msg-{f}-{l}","model":"claude-sonnet-4-5","usage":{{"input_tokens":{input},"output_tokens":{output},"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}}}}"#,
                1 + f % 28,
                l % 60
            ));
            text.push('\n');
        }
        std::fs::write(dir.join(format!("s{f}.jsonl")), text).expect("log");
    }
    let path = home.path().join("claude");
    let args = [
        "scan",
        "--source",
        "claude-code",
        "--path",
        path.to_str().expect("utf-8"),
    ];
    let totals = |store: &Store| -> (u64, u64) {
        store
            .read(|tx| {
                Ok(tx.query_row(
                    "SELECT COUNT(*), COALESCE(SUM(input_tokens + output_tokens), 0) FROM usage_records",
                    [],
                    |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
                )?)
            })
            .expect("totals")
    };
    // time a full scan on a copy, so the trials start from nothing scanned
    let probe = Home::new();
    std::fs::copy(home.path().join(DB_FILE), probe.path().join(DB_FILE)).expect("copy");
    let full = {
        let started = Instant::now();
        probe.ok(&args, None);
        started.elapsed()
    };
    // a trial reads one new file of 200 lines, against the 12,000 of the full scan, plus start-up
    let typical = full / 8;
    let mut t = Trials::default();
    for trial in 0..trials_per_kind() {
        t.trials += 1;
        let before = totals(&home.store());
        if trial > 0 {
            // grow the logs so every trial has new bytes to read
            let extra = logs.join("-home-u-p0").join(format!("extra-{trial}.jsonl"));
            let mut text = String::new();
            for l in 0..200u64 {
                expected_tokens += 1000 + l;
                expected_records += 1;
                text.push_str(&format!(
                    r#"{{"type":"assistant","timestamp":"2026-11-01T11:00:00.000Z","requestId":"x-{trial}-{l}","message":{{"id":"xm-{trial}-{l}","model":"claude-sonnet-4-5","usage":{{"input_tokens":{},"output_tokens":0}}}}}}"#,
                    1000 + l
                ));
                text.push('\n');
            }
            std::fs::write(extra, text).expect("extra log");
        }
        let done = run_and_kill(home.command(&args), None, typical);
        let what = format!("scan trial {trial}");
        check_sound(&home, &what).lock().expect("lock");
        let (records, tokens) = totals(&home.store());
        if done {
            t.completed += 1;
            assert_eq!(
                (records, tokens),
                (expected_records, expected_tokens),
                "{what}: a completed scan has everything"
            );
        } else {
            assert!(
                records <= expected_records && tokens <= expected_tokens,
                "{what}: a killed scan never counts twice"
            );
            if (records, tokens) == (expected_records, expected_tokens) {
                t.after += 1;
            } else if (records, tokens) == before {
                t.before += 1;
            } else {
                t.partial += 1;
            }
        }
        home.ok(&args, None);
        assert_eq!(
            totals(&home.store()),
            (expected_records, expected_tokens),
            "{what}: a scan after the kill reads exactly what is left"
        );
    }
    t.report("scan");
}

#[test]
fn sigkill_during_imports() {
    let (home, _) = home_with_vault(1);
    let mut rows = Vec::new();
    for trial in 0..trials_per_kind() {
        let file = home.path().join(format!("usage-{trial}.csv"));
        let mut text =
            String::from("timestamp,model,input_tokens,output_tokens,cost_usd,provider\n");
        let n = 6000;
        for i in 0..n {
            text.push_str(&format!(
                "2026-10-{:02}T{:02}:{:02}:00Z,gpt-4o,{},{},0.{:04},openai\n",
                1 + i % 28,
                i % 24,
                i % 60,
                1000 + i,
                trial,
                i
            ));
        }
        std::fs::write(&file, text).expect("csv");
        rows.push((format!("csv:usage-{trial}"), n as i64, file));
    }
    let probe = Home::new();
    let typical = time(
        &probe,
        &["import", rows[0].2.to_str().expect("utf-8")],
        None,
    );
    let count = |store: &Store, source: &str| -> i64 {
        store
            .read(|tx| {
                Ok(tx.query_row(
                    "SELECT COUNT(*) FROM usage_records WHERE source = ?1",
                    [source],
                    |r| r.get(0),
                )?)
            })
            .expect("count")
    };
    let mut t = Trials::default();
    for (trial, (source, n, file)) in rows.iter().enumerate() {
        t.trials += 1;
        let file = file.to_str().expect("utf-8");
        let done = run_and_kill(home.command(&["import", file]), None, typical);
        let what = format!("import trial {trial}");
        check_sound(&home, &what).lock().expect("lock");
        let got = count(&home.store(), source);
        if done {
            t.completed += 1;
            assert_eq!(got, *n, "{what}: a completed import has every row");
        } else {
            assert!(got == 0 || got == *n, "{what}: all rows or none, got {got}");
            if got == 0 {
                t.before += 1;
            } else {
                t.after += 1;
            }
        }
        home.ok(&["import", file], None);
        assert_eq!(count(&home.store(), source), *n, "{what}: importing again");
        for (earlier, n, _) in &rows[..trial] {
            assert_eq!(
                count(&home.store(), earlier),
                *n,
                "{what}: {earlier} is kept"
            );
        }
    }
    t.report("import");
}

#[test]
fn sigkill_during_password_changes() {
    let (mut home, secrets) = home_with_vault(3);
    let probe_password = "probe new password";
    let typical = {
        let (probe, _) = home_with_vault(1);
        let mut cmd = probe.command(&["passwd"]);
        cmd.env("TALLYVAULT_NEW_PASSWORD", probe_password);
        let started = Instant::now();
        assert!(cmd.status().expect("passwd").success());
        started.elapsed()
    };
    let mut t = Trials::default();
    for trial in 0..trials_per_kind() {
        t.trials += 1;
        let next = format!("password number {trial}");
        let mut cmd = home.command(&["passwd"]);
        cmd.env("TALLYVAULT_NEW_PASSWORD", &next);
        let done = run_and_kill(cmd, None, typical);
        let what = format!("passwd trial {trial}");
        let unlocks = |pw: &str| {
            Vault::unlock(
                home.path(),
                home.store(),
                &password(pw),
                &policy(),
                Arc::new(SystemClock),
            )
            .is_ok()
        };
        let (old_ok, new_ok) = (unlocks(&home.password), unlocks(&next));
        assert!(
            old_ok ^ new_ok,
            "{what}: exactly one password opens the vault (old {old_ok}, new {new_ok})"
        );
        if done {
            t.completed += 1;
            assert!(new_ok, "{what}: a completed change took effect");
        } else if new_ok {
            t.after += 1;
        } else {
            t.before += 1;
        }
        if new_ok {
            home.password = next;
        }
        let v = check_sound(&home, &what);
        assert_secrets(&v, &secrets, &what);
        v.lock().expect("lock");
    }
    t.report("passwd");
}

#[test]
fn sigkill_during_key_rotations() {
    let (home, secrets) = home_with_vault(40);
    let typical = time(&home, &["vault", "rotate-key"], None);
    let wrapped = |home: &Home| -> Vec<u8> {
        home.store()
            .read(|tx| {
                Ok(tx.query_row("SELECT wrapped_data_key FROM vault_meta", [], |r| r.get(0))?)
            })
            .expect("wrapped key")
    };
    let mut t = Trials::default();
    for trial in 0..trials_per_kind() {
        t.trials += 1;
        let before = wrapped(&home);
        let done = run_and_kill(home.command(&["vault", "rotate-key"]), None, typical);
        let what = format!("rotate-key trial {trial}");
        if done {
            t.completed += 1;
        } else if wrapped(&home) == before {
            t.before += 1;
        } else {
            t.after += 1;
        }
        let v = check_sound(&home, &what);
        assert_secrets(&v, &secrets, &what);
        v.lock().expect("lock");
    }
    t.report("rotate-key");
}

#[test]
fn sigkill_during_budget_edits() {
    let (home, _) = home_with_vault(1);
    let typical = time(
        &home,
        &[
            "budget", "add", "--amount", "1", "--period", "month", "--name", "probe",
        ],
        None,
    );
    let amounts = |home: &Home| -> std::collections::HashMap<String, String> {
        let store = home.store();
        store
            .read(|tx| {
                let mut stmt = tx.prepare("SELECT name, amount_nanos FROM budgets")?;
                let rows = stmt.query_map([], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.to_string()))
                })?;
                Ok(rows.collect::<rusqlite::Result<_>>()?)
            })
            .expect("budgets")
    };
    let mut done_adds: Vec<(String, String)> = Vec::new();
    let mut t = Trials::default();
    for trial in 0..trials_per_kind() {
        t.trials += 1;
        let name = format!("b{trial}");
        let amount = (trial + 2).to_string();
        let (args, edit): (Vec<String>, bool) = if trial % 2 == 1 {
            // edit the probe budget's amount
            (
                ["budget", "edit", "probe", "--amount", &amount]
                    .map(String::from)
                    .to_vec(),
                true,
            )
        } else {
            (
                [
                    "budget", "add", "--amount", &amount, "--period", "day", "--name", &name,
                ]
                .map(String::from)
                .to_vec(),
                false,
            )
        };
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let done = run_and_kill(home.command(&argv), None, typical);
        let what = format!("budget trial {trial}");
        check_sound(&home, &what).lock().expect("lock");
        let now = amounts(&home);
        let nanos = format!("{}000000000", amount);
        let key = if edit { "probe" } else { name.as_str() };
        if done {
            t.completed += 1;
        } else if now.get(key) == Some(&nanos) {
            t.after += 1;
        } else {
            t.before += 1;
        }
        if done {
            assert_eq!(
                now.get(key),
                Some(&nanos),
                "{what}: the completed edit is there"
            );
            if !edit {
                done_adds.push((name.clone(), nanos.clone()));
            }
        } else if !edit {
            assert!(
                now.get(&name).is_none_or(|a| *a == nanos),
                "{what}: a killed add left the budget whole or absent"
            );
            if now.contains_key(&name) {
                done_adds.push((name.clone(), nanos.clone()));
            }
        }
        for (earlier, nanos) in &done_adds {
            assert_eq!(now.get(earlier), Some(nanos), "{what}: {earlier} is kept");
        }
    }
    t.report("budget");
}

#[test]
fn sigkill_during_backup_restores() {
    let (home, secrets) = home_with_vault(20);
    let backup = home.path().join("backup.tvb");
    home.ok(&["vault", "export", backup.to_str().expect("utf-8")], None);
    let backup_arg = backup.to_str().expect("utf-8").to_string();
    let typical = {
        let target = Home::new();
        time(&target, &["vault", "import", &backup_arg], None)
    };
    let mut t = Trials::default();
    for trial in 0..trials_per_kind() {
        t.trials += 1;
        let target = Home::new();
        let done = run_and_kill(
            target.command(&["vault", "import", &backup_arg]),
            None,
            typical,
        );
        let what = format!("restore trial {trial}");
        let db = target.path().join(DB_FILE);
        if done {
            t.completed += 1;
        } else if db.exists() {
            t.after += 1;
        } else {
            t.before += 1;
            // killed before the database was in place: running it again finishes the job
            target.ok(&["vault", "import", &backup_arg], None);
        }
        let v = check_sound(&target, &what);
        assert_secrets(&v, &secrets, &what);
        v.lock().expect("lock");
    }
    t.report("restore");
}

#[test]
fn sigkill_during_polls() {
    let (home, _) = home_with_vault(0);
    let secret = random_secret();
    home.ok(
        &["creds", "add", "--label", "admin", "--provider", "openai"],
        Some(&format!("{secret}\n")),
    );
    let fake = FakeProvider::start(&secret, 4);
    let now = chrono::Utc::now().timestamp();
    let today = now.div_euclid(DAY) * DAY;
    let mut expected_requests = 0i64;
    for day in 1..=12 {
        for h in [1, 7, 13, 19] {
            for model in ["gpt-4o", "gpt-4o-mini"] {
                let t = Tokens {
                    input: 1000 * day as u64 + h as u64,
                    cached: 10,
                    output: 77,
                    requests: day + h,
                };
                expected_requests += t.requests;
                fake.set_usage(
                    "openai",
                    "completions",
                    today - day * DAY + h * HOUR,
                    model,
                    "p",
                    t,
                );
            }
        }
    }
    home.ok(
        &[
            "providers",
            "add",
            "openai",
            "--credential",
            "admin",
            "--base-url",
            &fake.url,
            "--backfill-days",
            "14",
        ],
        None,
    );
    let requests = |home: &Home| -> i64 {
        home.store()
            .read(|tx| {
                Ok(tx.query_row(
                    "SELECT COALESCE(SUM(requests), 0) FROM usage_records WHERE source = 'openai-api'",
                    [],
                    |r| r.get(0),
                )?)
            })
            .expect("requests")
    };
    // a first poll fetches everything; each trial re-fetches the same range, timed here once
    home.ok(&["poll", "--since", &day_text(today - 13 * DAY)], None);
    let typical = time(
        &home,
        &["poll", "--since", &day_text(today - 13 * DAY)],
        None,
    );
    let mut t = Trials::default();
    for trial in 0..trials_per_kind() {
        t.trials += 1;
        // every trial re-fetches the whole range, so each has many windows to commit
        let since = day_text(today - 13 * DAY);
        let done = run_and_kill(home.command(&["poll", "--since", &since]), None, typical);
        let what = format!("poll trial {trial}");
        check_sound(&home, &what).lock().expect("lock");
        let got = requests(&home);
        if done {
            t.completed += 1;
            assert_eq!(
                got, expected_requests,
                "{what}: a completed poll has every bucket"
            );
        } else {
            // windows are replaced, never added: a killed re-fetch keeps the totals whatever it reached
            assert_eq!(
                got, expected_requests,
                "{what}: never counted twice or lost"
            );
            t.partial += 1;
        }
        home.ok(&["poll", "--since", &since], None);
        assert_eq!(requests(&home), expected_requests, "{what}: polling again");
    }
    t.report("poll");
    drop(fake);
}

fn day_text(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// What a restore killed before its database was in place leaves behind (its staging folder, the anchor it
/// had already moved) does not stop the next restore, which cleans it up.
#[test]
fn an_interrupted_restore_can_be_run_again() {
    let (home, secrets) = home_with_vault(2);
    let backup = home.path().join("backup.tvb");
    home.ok(&["vault", "export", backup.to_str().expect("utf-8")], None);
    let target = Home::new();
    let staging = target.path().join("restore.tmp");
    std::fs::create_dir_all(&staging).expect("staging");
    std::fs::write(staging.join(DB_FILE), b"half a database").expect("junk");
    std::fs::copy(
        home.path().join(tallyvault::audit::ANCHOR_FILE),
        target.path().join(tallyvault::audit::ANCHOR_FILE),
    )
    .expect("a moved anchor");
    target.ok(&["vault", "import", backup.to_str().expect("utf-8")], None);
    assert!(!staging.exists(), "the staging folder is gone");
    let v = check_sound(&target, "restore after an interrupted one");
    assert_secrets(&v, &secrets, "restore after an interrupted one");
}

/// The two moments a SIGKILL can split a data-key rotation from its anchor, made exactly: the campaign above
/// first hit the one after the commit (the old anchor could no longer be checked under the new key, and
/// `audit verify` said the anchor was forged until `audit reset-anchor`).
#[test]
fn a_rotation_killed_on_either_side_of_its_commit_keeps_a_verifiable_log() {
    use tallyvault::audit::{ANCHOR_FILE, PENDING_ANCHOR_FILE};
    for killed_after_commit in [true, false] {
        let f = Fixture::new();
        let v = f.create();
        v.add_credential(new_credential("k", "sk-proj-rotate-me"))
            .expect("add");
        v.lock().expect("lock");
        drop(v);
        let before = tempfile::tempdir().expect("copy");
        for name in [DB_FILE, ANCHOR_FILE] {
            std::fs::copy(f.path().join(name), before.path().join(name)).expect("copy");
        }
        let v = f.unlock().expect("unlock");
        v.rotate_data_key(&password(PASSWORD), &policy())
            .expect("rotate");
        drop(v); // no lock event: the anchor is the rotation's own
        let anchor = f.path().join(ANCHOR_FILE);
        std::fs::rename(&anchor, f.path().join(PENDING_ANCHOR_FILE)).expect("as pending");
        std::fs::copy(before.path().join(ANCHOR_FILE), &anchor).expect("old anchor");
        if !killed_after_commit {
            for sidecar in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(f.path().join(format!("{DB_FILE}{sidecar}")));
            }
            std::fs::copy(before.path().join(DB_FILE), f.db_path()).expect("old database");
        }
        let what = if killed_after_commit {
            "killed after the commit"
        } else {
            "killed before the commit"
        };
        let (v, report) = f.unlock_report().expect("unlock");
        assert_eq!(report.integrity_warning, None, "{what}: no false alarm");
        let verified = v.verify_audit().expect("verify");
        assert!(verified.is_ok(), "{what}: {:?}", verified.problem);
        assert!(
            !f.path().join(PENDING_ANCHOR_FILE).exists(),
            "{what}: the pending anchor is adopted or discarded"
        );
        assert_eq!(
            v.read_secret(&CredentialRef::Label("k".into()), Purpose::Use)
                .expect("read")
                .expose(),
            "sk-proj-rotate-me",
            "{what}"
        );
    }
}

//! The `tallyvault` binary, as a user runs it.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::common::*;

struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    fn new() -> Cli {
        Cli {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn run_with(&self, args: &[&str], stdin: Option<&str>, pw: &str) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tallyvault"));
        cmd.args(args)
            .env("TALLYVAULT_HOME", self.dir.path())
            .env("TALLYVAULT_PASSWORD", pw)
            .env("TALLYVAULT_INSECURE_TEST_KDF", "1000")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut pipe = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            // The child may exit before reading (e.g. no vault): a broken pipe is fine.
            let _ = pipe.write_all(text.as_bytes());
        }
        drop(pipe);
        child.wait_with_output().unwrap()
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        self.run_with(args, stdin, PASSWORD)
    }

    fn ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.run(args, stdin);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

#[test]
fn a_user_session() {
    let cli = Cli::new();
    let secret = random_secret();
    cli.ok(&["init"], None);
    let added = cli.ok(
        &["creds", "add", "--label", "work key ✓"],
        Some(&format!("{secret}\n")),
    );
    assert!(
        added.contains("openai"),
        "the provider is detected: {added}"
    );
    let list = cli.ok(&["creds", "list", "--json"], None);
    let parsed: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(parsed[0]["label"], "work key ✓");
    assert!(!list.contains(&secret), "list never prints a secret");
    assert_eq!(
        cli.ok(&["creds", "reveal", "work key ✓"], None).trim(),
        secret
    );
    assert_eq!(cli.ok(&["creds", "reveal", "1"], None).trim(), secret);

    let wrong = cli.run_with(&["creds", "reveal", "1"], None, "not it");
    assert!(!wrong.status.success());
    assert_eq!(
        String::from_utf8_lossy(&wrong.stderr),
        "tallyvault: wrong password\n"
    );
    assert!(wrong.stdout.is_empty());

    let after = cli.run(&["audit", "verify"], None);
    assert!(after.status.success());
    assert!(String::from_utf8_lossy(&after.stdout).starts_with("OK: "));
    assert!(
        String::from_utf8_lossy(&after.stderr).contains("1 failed unlock attempt"),
        "the user is told"
    );

    let events = cli.ok(
        &["audit", "list", "--json", "--action", "credential.reveal"],
        None,
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&events)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        2
    );

    cli.ok(&["creds", "rotate", "work key ✓"], Some("sk-proj-rotated"));
    assert_eq!(
        cli.ok(&["creds", "reveal", "work key ✓"], None).trim(),
        "sk-proj-rotated"
    );
    cli.ok(&["creds", "rm", "work key ✓"], None);
    assert_eq!(cli.ok(&["creds", "list"], None).trim(), "No credentials.");
}

#[test]
fn verify_exits_non_zero_on_a_tampered_log() {
    let cli = Cli::new();
    cli.ok(&["init"], None);
    cli.ok(
        &["creds", "add", "--label", "k", "--provider", "openai"],
        Some("abc"),
    );
    let conn = rusqlite::Connection::open(cli.dir.path().join("tallyvault.db")).unwrap();
    conn.execute(
        "UPDATE audit_log SET action = 'vault.unlock' WHERE seq = 2",
        [],
    )
    .unwrap();
    drop(conn);
    let out = cli.run(&["audit", "verify"], None);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("seq 2") && stderr.contains("edited or forged"),
        "{stderr}"
    );
}

#[test]
fn errors_are_one_clear_line() {
    let cli = Cli::new();
    let out = cli.run(&["creds", "reveal", "x"], None);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no vault") && stderr.lines().count() == 1,
        "{stderr}"
    );
    cli.ok(&["init"], None);
    let out = cli.run(&["init"], None);
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    let out = cli.run(
        &["creds", "add", "--label", "k", "--provider", "nope"],
        Some("x"),
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown provider"));
    let out = cli.run_with(&["creds", "list"], None, "");
    assert!(out.status.success(), "listing needs no password");
}

#[test]
fn passwd_import_env_and_backups() {
    let cli = Cli::new();
    cli.ok(&["init"], None);
    let env_file = cli.dir.path().join("keys.env");
    std::fs::write(&env_file, "OPENROUTER_API_KEY=sk-or-v1-deadbeef\nNOPE=1\n").unwrap();
    let out = cli.ok(&["creds", "import-env", env_file.to_str().unwrap()], None);
    assert!(
        out.contains("1 imported, 1 skipped") && !out.contains("deadbeef"),
        "{out}"
    );

    let backup = cli.dir.path().join("b.tvb");
    cli.ok(&["vault", "export", backup.to_str().unwrap()], None);

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tallyvault"));
    let out = cmd
        .args(["passwd"])
        .env("TALLYVAULT_HOME", cli.dir.path())
        .env("TALLYVAULT_PASSWORD", PASSWORD)
        .env("TALLYVAULT_NEW_PASSWORD", "second password")
        .env("TALLYVAULT_INSECURE_TEST_KDF", "1000")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!cli.run(&["creds", "reveal", "1"], None).status.success());
    assert_eq!(
        String::from_utf8(
            cli.run_with(&["creds", "reveal", "1"], None, "second password")
                .stdout
        )
        .unwrap()
        .trim(),
        "sk-or-v1-deadbeef"
    );
    let rotated = cli.run_with(&["vault", "rotate-key"], None, "second password");
    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );

    let other = Cli::new();
    let restored = other.dir.path().join("restored");
    let out = Command::new(env!("CARGO_BIN_EXE_tallyvault"))
        .args([
            "--data-dir",
            restored.to_str().unwrap(),
            "vault",
            "import",
            backup.to_str().unwrap(),
        ])
        .env("TALLYVAULT_PASSWORD", PASSWORD)
        .env("TALLYVAULT_INSECURE_TEST_KDF", "1000")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_tallyvault"))
        .args([
            "--data-dir",
            restored.to_str().unwrap(),
            "creds",
            "reveal",
            "OPENROUTER_API_KEY",
        ])
        .env("TALLYVAULT_PASSWORD", PASSWORD)
        .env("TALLYVAULT_INSECURE_TEST_KDF", "1000")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        "sk-or-v1-deadbeef"
    );
}

#[test]
fn nothing_the_cli_prints_outside_reveal_holds_a_secret() {
    let cli = Cli::new();
    cli.ok(&["init"], None);
    let secrets: Vec<String> = (0..20).map(|_| random_secret()).collect();
    let mut printed = Vec::new();
    let mut keep = |out: Output| {
        printed.extend(out.stdout);
        printed.extend(out.stderr);
    };
    for (i, s) in secrets.iter().enumerate() {
        keep(cli.run(&["creds", "add", "--label", &format!("k{i}")], Some(s)));
        keep(cli.run(&["creds", "add", "--label", &format!("k{i}")], Some(s))); // duplicate: an error
    }
    let env_file = cli.dir.path().join(".env");
    let env_text: String = secrets
        .iter()
        .enumerate()
        .map(|(i, s)| format!("OPENAI_KEY_{i}=\"{s}\nBROKEN_{i}={s}\"x\n"))
        .collect();
    std::fs::write(&env_file, env_text).unwrap();
    keep(cli.run(
        &["creds", "import-env", env_file.to_str().unwrap(), "--json"],
        None,
    ));
    keep(cli.run(&["creds", "list", "--json"], None));
    keep(cli.run(&["creds", "list"], None));
    keep(cli.run(&["audit", "list", "--json", "--limit", "1000"], None));
    keep(cli.run(&["audit", "verify"], None));
    keep(cli.run_with(&["creds", "reveal", "k1"], None, "wrong password"));
    keep(cli.run(&["creds", "rotate", "k1"], Some("")));
    for s in &secrets {
        assert!(
            !printed.windows(s.len()).any(|w| w == s.as_bytes()),
            "CLI output outside `reveal` contains a secret"
        );
    }
    std::fs::remove_file(&env_file).unwrap();
    for path in std::fs::read_dir(cli.dir.path()).unwrap() {
        let bytes = std::fs::read(path.unwrap().path()).unwrap();
        for s in &secrets {
            assert!(
                !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                "a data file holds a secret"
            );
        }
    }
}

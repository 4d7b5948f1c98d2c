//! The leak scan: a full run of the `tallyvault` binary (vault, credentials, `.env` import, rotation, export,
//! key rotation, scans, imports, polls against a fake provider with faults injected, a webhook that fails,
//! and errors of every kind), then every file the app wrote (database, WAL, sidecars, exports, temp files,
//! anything under its HOME) and everything it printed, except the one `creds reveal` asked to print, is
//! searched for every secret: there must be no hit.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::common::*;
use crate::providers_fake::{FakeProvider, Fault, Tokens, DAY, HOUR};

struct Run {
    root: tempfile::TempDir,
    /// stdout and stderr of every command, except output that was asked to show a secret
    captured: Vec<u8>,
    password: String,
}

impl Run {
    fn data(&self) -> PathBuf {
        self.root.path().join("data")
    }

    fn home(&self) -> PathBuf {
        self.root.path().join("home")
    }

    fn tmp(&self) -> PathBuf {
        self.root.path().join("tmp")
    }

    fn exports(&self) -> PathBuf {
        self.root.path().join("exports")
    }

    fn inputs(&self) -> PathBuf {
        self.root.path().join("inputs")
    }

    fn exec(&mut self, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tallyvault"));
        cmd.args(args)
            .env("TALLYVAULT_HOME", self.data())
            .env("HOME", self.home())
            .env("TMPDIR", self.tmp())
            .env("TZ", "UTC")
            .env("TALLYVAULT_PASSWORD", &self.password)
            .env("TALLYVAULT_INSECURE_TEST_KDF", "1000")
            .env("CLAUDE_CONFIG_DIR", self.inputs().join("claude"))
            .env("CODEX_HOME", self.inputs().join("codex"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn tallyvault");
        let mut pipe = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            let _ = pipe.write_all(text.as_bytes());
        }
        drop(pipe);
        child.wait_with_output().expect("wait")
    }

    /// Runs, keeps all output, and returns it; `expect_ok` says how it must end.
    fn run(&mut self, args: &[&str], stdin: Option<&str>, expect_ok: bool) -> String {
        self.run_env(args, stdin, expect_ok, &[])
    }

    /// Runs and keeps all output, however it ends (faults make some commands fail on purpose).
    fn run_any(&mut self, args: &[&str], stdin: Option<&str>) {
        let out = self.exec(args, stdin, &[]);
        self.captured.extend_from_slice(&out.stdout);
        self.captured.extend_from_slice(&out.stderr);
    }

    fn run_env(
        &mut self,
        args: &[&str],
        stdin: Option<&str>,
        expect_ok: bool,
        env: &[(&str, &str)],
    ) -> String {
        let out = self.exec(args, stdin, env);
        assert_eq!(
            out.status.success(),
            expect_ok,
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.captured.extend_from_slice(&out.stdout);
        self.captured.extend_from_slice(&out.stderr);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Every secret, and the last 16 bytes of each (a trimmed or re-encoded prefix would not hide those).
fn hits(haystack: &[u8], secrets: &[String]) -> Vec<String> {
    let needles: Vec<&[u8]> = secrets
        .iter()
        .flat_map(|s| [s.as_bytes(), &s.as_bytes()[s.len() - 16..]])
        .collect();
    let matcher = aho_corasick::AhoCorasick::new(&needles).expect("patterns");
    matcher
        .find_iter(haystack)
        .map(|m| {
            let secret = &secrets[m.pattern().as_usize() / 2];
            format!("…{}", &secret[secret.len() - 6..])
        })
        .collect()
}

#[test]
fn a_full_run_leaves_no_secret_anywhere() {
    let root = tempfile::tempdir().expect("root");
    let mut run = Run {
        root,
        captured: Vec::new(),
        password: PASSWORD.to_string(),
    };
    for dir in [run.home(), run.tmp(), run.exports(), run.inputs()] {
        std::fs::create_dir_all(dir).expect("dir");
    }
    let admin = random_secret();
    let mut secrets: Vec<String> = vec![admin.clone()];
    let fake = FakeProvider::start(&admin, 3);
    let now = chrono::Utc::now().timestamp();
    let today = now.div_euclid(DAY) * DAY;
    for day in 1..=6 {
        let t = Tokens {
            input: 5000,
            cached: 100,
            output: 300,
            requests: 4,
        };
        fake.set_usage(
            "openai",
            "completions",
            today - day * DAY + 3 * HOUR,
            "gpt-4o",
            "p",
            t,
        );
    }

    // the vault and its credentials
    run.run(&["init"], None, true);
    run.run(
        &[
            "creds",
            "add",
            "--label",
            "admin",
            "--provider",
            "openai",
            "--note",
            "admin key",
        ],
        Some(&format!("{admin}\n")),
        true,
    );
    for i in 0..6 {
        let s = random_secret();
        run.run(
            &["creds", "add", "--label", &format!("k{i}")],
            Some(&format!("{s}\n")),
            true,
        );
        secrets.push(s);
    }
    let env_keys: Vec<String> = (0..3).map(|_| random_secret()).collect();
    let bad_value = random_secret();
    let env_file = run.inputs().join("project.env");
    std::fs::write(
        &env_file,
        format!(
            "\u{feff}# keys\r\nexport OPENAI_API_KEY={}\r\nOTHER_KEY=\"{}\"\nTHIRD='{}'\nBROKEN=\"{bad_value}\nnot an assignment {bad_value}\n",
            env_keys[0], env_keys[1], env_keys[2]
        ),
    )
    .expect("env file");
    secrets.extend(env_keys.iter().cloned());
    secrets.push(bad_value.clone());
    run.run_any(
        &[
            "creds",
            "import-env",
            env_file.to_str().expect("utf-8"),
            "--json",
        ],
        None,
    );
    run.run(&["creds", "list", "--json"], None, true);
    // reveal prints the secret by design: its stdout is checked, then left out of the scan
    let revealed = run.exec(&["creds", "reveal", "k0"], None, &[]);
    assert!(revealed.status.success());
    assert!(String::from_utf8_lossy(&revealed.stdout).contains(&secrets[1]));
    run.captured.extend_from_slice(&revealed.stderr);
    let rotated = random_secret();
    run.run(
        &["creds", "rotate", "k1"],
        Some(&format!("{rotated}\n")),
        true,
    );
    secrets.push(rotated);

    // errors: wrong password, a duplicate label, a missing credential, an empty secret, a bad expiry
    let wrong = run.exec(
        &["creds", "reveal", "k2"],
        None,
        &[("TALLYVAULT_PASSWORD", "nope")],
    );
    assert!(!wrong.status.success());
    run.captured.extend_from_slice(&wrong.stdout);
    run.captured.extend_from_slice(&wrong.stderr);
    run.run(
        &["creds", "add", "--label", "k3"],
        Some(&format!("{}\n", secrets[2])),
        false,
    );
    run.run(&["creds", "reveal", "nosuch"], None, false);
    run.run(
        &["creds", "add", "--label", "empty", "--provider", "openai"],
        Some("\n"),
        false,
    );
    let unexpiring = random_secret();
    secrets.push(unexpiring.clone());
    run.run(
        &[
            "creds",
            "add",
            "--label",
            "bad-expiry",
            "--provider",
            "openai",
            "--expires",
            "tomorrow",
        ],
        Some(&format!("{unexpiring}\n")),
        false,
    );

    // the alert webhook: its URL is a secret; the endpoint refuses every delivery
    let hook_token = format!("T0{}", &random_secret()[8..]);
    let hook_url = format!("{}/services/{hook_token}", fake.url);
    secrets.push(hook_token);
    run.run(
        &["alerts", "webhook", "set"],
        Some(&format!("{hook_url}\n")),
        true,
    );

    // usage: local logs, a CSV with a bad row, budgets
    let projects = run.inputs().join("claude/projects/-home-u-app");
    std::fs::create_dir_all(&projects).expect("projects");
    std::fs::write(
        projects.join("s.jsonl"),
        r#"{"type":"assistant","timestamp":"2026-11-01T10:00:00.000Z","requestId":"r1","costUSD":250,"message":{"id":"m1","model":"claude-sonnet-4-5","usage":{"input_tokens":10,"output_tokens":5}}}
"#,
    )
    .expect("log");
    run.run(&["scan", "--json"], None, true);
    let csv = run.inputs().join("usage.csv");
    std::fs::write(
        &csv,
        "timestamp,model,input_tokens,output_tokens\n2026-11-02,gpt-4o,100,10\nnot a date,gpt-4o,1,1\n",
    )
    .expect("csv");
    run.run(&["import", csv.to_str().expect("utf-8")], None, false);
    run.run(
        &[
            "budget", "add", "--amount", "1", "--period", "month", "--name", "tiny",
        ],
        None,
        true,
    );
    run.run_any(&["budget", "check"], None);
    run.run_any(&["alerts", "list", "--json"], None);
    run.run_any(&["alerts", "notify"], None);

    // polls against the fake provider, with faults: a hostile echo of the key, a 401 that echoes it, a
    // truncated page, a 500, a rate limit
    run.run(
        &[
            "providers",
            "add",
            "openai",
            "--credential",
            "admin",
            "--base-url",
            &fake.url,
            "--backfill-days",
            "7",
        ],
        None,
        true,
    );
    let before = fake.request_count();
    fake.fault(before + 1, Fault::EchoKeyInField);
    fake.fault(before + 2, Fault::Truncated);
    fake.fault(before + 3, Fault::ServerError);
    fake.fault(before + 4, Fault::RateLimited(0));
    run.run_any(&["poll", "--json"], None);
    run.run_any(&["poll"], None);
    let status = run.exec(&["providers", "status", "--json"], None, &[]);
    run.captured.extend_from_slice(&status.stdout);
    run.captured.extend_from_slice(&status.stderr);
    let status = String::from_utf8_lossy(&status.stdout).into_owned();
    assert!(
        status.contains("malformed response"),
        "the hostile page reached the parser: {status}"
    );
    run.run_any(&["providers", "status"], None);
    fake.fault(fake.request_count() + 1, Fault::EchoKeyInField);
    run.run_any(&["providers", "retry", "--json"], None);
    fake.fault(fake.request_count() + 1, Fault::Unauthorized);
    run.run_any(&["poll", "--json", "--since", "2026-01-01"], None);
    run.run_any(&["providers", "status", "--json"], None);
    run.run_any(&["providers", "list", "--json"], None);
    run.run(&["report", "daily", "--json", "--no-scan"], None, true);
    run.run_any(&["reconcile", "--json"], None);

    // the vault: audit, export, key rotation, password change, restore into another dir
    run.run(&["audit", "list", "--json"], None, true);
    run.run(&["audit", "verify", "--json"], None, true);
    let backup = run.exports().join("vault.tvb");
    run.run(
        &["vault", "export", backup.to_str().expect("utf-8")],
        None,
        true,
    );
    run.run(&["vault", "rotate-key"], None, true);
    let new_password = "a new master password";
    run.run_env(
        &["passwd"],
        None,
        true,
        &[("TALLYVAULT_NEW_PASSWORD", new_password)],
    );
    run.password = new_password.to_string();
    run.run(&["settings", "set", "theme", "dark"], None, true);
    run.password = PASSWORD.to_string();
    let restored = run.root.path().join("restored");
    run.run_env(
        &["vault", "import", backup.to_str().expect("utf-8")],
        None,
        true,
        &[("TALLYVAULT_HOME", restored.to_str().expect("utf-8"))],
    );

    // every file the app wrote
    let mut files = Vec::new();
    for dir in [run.data(), restored, run.home(), run.tmp(), run.exports()] {
        files_under(&dir, &mut files);
    }
    assert!(
        files.iter().any(|p| p.ends_with("tallyvault.db"))
            && files.iter().any(|p| p.ends_with("audit.head"))
            && files.iter().any(|p| p.ends_with("vault.tvb")),
        "the scan covers the database, the anchor and the export: {files:?}"
    );
    let mut leaks = Vec::new();
    for path in &files {
        let bytes = std::fs::read(path).expect("read");
        for hit in hits(&bytes, &secrets) {
            leaks.push(format!("{}: {hit}", path.display()));
        }
    }
    for hit in hits(&run.captured, &secrets) {
        leaks.push(format!("captured output: {hit}"));
    }
    eprintln!(
        "leak scan: {} secrets, {} files ({} bytes), {} bytes of output: {} hits",
        secrets.len(),
        files.len(),
        files
            .iter()
            .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
            .sum::<u64>(),
        run.captured.len(),
        leaks.len()
    );
    assert!(leaks.is_empty(), "secrets found:\n{}", leaks.join("\n"));
    drop(fake);
}

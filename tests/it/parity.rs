//! Parity with ccusage 20.0.24 on a generated corpus with every hard case (scripts/gen-claude-corpus.py):
//! per day and per model, the same token counts, and costs within $0.01 for models both price tables price
//! alike. Spaced usage lines, which ccusage ignores and we read, are accounted for from the corpus manifest.
//! Skipped, saying so, when ccusage is not installed (`scripts/setup-test-deps` installs it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn ccusage() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("CCUSAGE_BIN") {
        return Some(PathBuf::from(path));
    }
    let local = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/peers/ccusage/node_modules/@ccusage/ccusage-linux-x64/bin/ccusage");
    local.exists().then_some(local)
}

/// Models whose rates agree between our snapshot and ccusage's embedded table (docs/ccusage-notes.md). Claude
/// Sonnet 4.5's long-context tier is in ccusage's table and not in LiteLLM's current one, so its cost differs.
const SAME_RATES: &[&str] = &[
    "claude-haiku-4-5-20251001",
    "claude-opus-4-1-20250805",
    "claude-sonnet-4-20250514",
    "claude-3-5-haiku-20241022",
];

fn run_json(cmd: &mut Command) -> Value {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{:?}: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

fn by_date(report: &Value) -> BTreeMap<String, Value> {
    report["daily"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["date"].as_str().unwrap().to_string(), r.clone()))
        .collect()
}

#[test]
fn daily_report_matches_ccusage() {
    let Some(ccusage) = ccusage() else {
        eprintln!(
            "SKIPPED: ccusage is not installed (run scripts/setup-test-deps, or set CCUSAGE_BIN)"
        );
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let corpus = work.path().join("claude");
    let status = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/gen-claude-corpus.py"))
        .args(["--seed", "11", "--lines", "3000", "--out"])
        .arg(&corpus)
        .status()
        .unwrap();
    assert!(status.success());
    let home = work.path().join("home");
    std::fs::create_dir_all(&home).unwrap();

    let theirs = run_json(
        Command::new(&ccusage)
            .args([
                "claude",
                "daily",
                "--json",
                "--offline",
                "--timezone",
                "UTC",
            ])
            .env("HOME", &home)
            .env("CLAUDE_CONFIG_DIR", &corpus)
            .env_remove("XDG_CONFIG_HOME"),
    );
    let ours = run_json(
        Command::new(env!("CARGO_BIN_EXE_tallyvault"))
            .args(["report", "daily", "--json", "--timezone", "UTC"])
            .env("TALLYVAULT_HOME", work.path().join("data"))
            .env("HOME", &home)
            .env("CODEX_HOME", work.path().join("no-codex"))
            .env("CLAUDE_CONFIG_DIR", &corpus),
    );
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(corpus.join("manifest.json")).unwrap())
            .unwrap();
    let spaced = &manifest["spaced_usage_by_date_utc"];

    let (ours, theirs) = (by_date(&ours), by_date(&theirs));
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>(),
        "the same days"
    );
    let fields = [
        ("inputTokens", "input"),
        ("outputTokens", "output"),
        ("cacheCreationTokens", "cache_creation"),
        ("cacheReadTokens", "cache_read"),
    ];
    let (mut model_checks, mut cost_checks) = (0, 0);
    for (date, theirs) in &theirs {
        let ours = &ours[date];
        let extra = &spaced[date];
        for (field, key) in fields {
            let expected = theirs[field].as_u64().unwrap() + extra[key].as_u64().unwrap_or(0);
            assert_eq!(ours[field].as_u64().unwrap(), expected, "{date} {field}");
        }
        if !extra.is_null() {
            continue; // a spaced line's model makes this day's breakdown differ by design
        }
        let ours_models: BTreeMap<&str, &Value> = ours["modelBreakdowns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["modelName"].as_str().unwrap(), m))
            .collect();
        for m in theirs["modelBreakdowns"].as_array().unwrap() {
            let name = m["modelName"].as_str().unwrap();
            let o = ours_models
                .get(name)
                .unwrap_or_else(|| panic!("{date}: {name} missing"));
            for (field, _) in fields {
                assert_eq!(o[field], m[field], "{date} {name} {field}");
            }
            model_checks += 1;
            if SAME_RATES
                .iter()
                .any(|s| name.trim_end_matches("-fast") == *s)
            {
                let (a, b) = (o["cost"].as_f64().unwrap(), m["cost"].as_f64().unwrap());
                assert!(
                    (a - b).abs() <= 0.01,
                    "{date} {name}: cost {a} vs ccusage {b}"
                );
                cost_checks += 1;
            }
        }
    }
    assert!(
        model_checks > 50 && cost_checks > 30,
        "the corpus exercised the comparison ({model_checks}, {cost_checks})"
    );
}

#[test]
fn codex_daily_report_matches_ccusage() {
    let Some(ccusage) = ccusage() else {
        eprintln!(
            "SKIPPED: ccusage is not installed (run scripts/setup-test-deps, or set CCUSAGE_BIN)"
        );
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let corpus = work.path().join("codex");
    let status = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/gen-codex-corpus.py"))
        .args(["--seed", "5", "--events", "800", "--out"])
        .arg(&corpus)
        .status()
        .unwrap();
    assert!(status.success());
    let home = work.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let theirs = run_json(
        Command::new(&ccusage)
            .args(["codex", "daily", "--json", "--offline", "--timezone", "UTC"])
            .env("HOME", &home)
            .env("CODEX_HOME", &corpus),
    );
    let ours = run_json(
        Command::new(env!("CARGO_BIN_EXE_tallyvault"))
            .args([
                "report",
                "daily",
                "--json",
                "--timezone",
                "UTC",
                "--source",
                "codex",
            ])
            .env("TALLYVAULT_HOME", work.path().join("data"))
            .env("HOME", &home)
            .env("CLAUDE_CONFIG_DIR", work.path().join("no-claude"))
            .env("CODEX_HOME", &corpus),
    );
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(corpus.join("manifest.json")).unwrap())
            .unwrap();
    let spaced = &manifest["spaced_last_usage_by_date_utc"];
    let (ours, theirs) = (by_date(&ours), by_date(&theirs));
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>(),
        "the same days"
    );
    let mut cost_checks = 0;
    for (date, theirs) in &theirs {
        let ours = &ours[date];
        let extra = |k: &str| spaced[date][k].as_u64().unwrap_or(0);
        let n = |v: &Value, k: &str| v[k].as_u64().unwrap();
        // ccusage's inputTokens are uncached, like ours; cached input is its cacheReadTokens
        assert_eq!(
            n(ours, "inputTokens"),
            n(theirs, "inputTokens") + extra("input") - extra("cached_input"),
            "{date} input"
        );
        assert_eq!(
            n(ours, "cacheReadTokens"),
            n(theirs, "cacheReadTokens") + extra("cached_input"),
            "{date} cached"
        );
        assert_eq!(
            n(ours, "outputTokens"),
            n(theirs, "outputTokens") + extra("output"),
            "{date} output"
        );
        if spaced[date].is_null() {
            let (a, b) = (
                ours["totalCost"].as_f64().unwrap(),
                theirs["costUSD"].as_f64().unwrap(),
            );
            assert!((a - b).abs() <= 0.01, "{date}: cost {a} vs ccusage {b}");
            cost_checks += 1;
        }
    }
    assert!(
        cost_checks > 10,
        "the corpus exercised the comparison ({cost_checks})"
    );
}

//! Spend from local logs: dedup, pricing, unpriced models, time zones, incremental scans, CSV imports.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use tallyvault::pricing::PriceTable;
use tallyvault::report::{self, Grouping, ReportQuery};
use tallyvault::sources::{self, csv_import, Quiet, ScanRequest, SourceKind};
use tallyvault::store::Store;

/// A Claude config dir with `projects/<project>/` ready for session files.
struct Logs {
    dir: tempfile::TempDir,
    store_dir: tempfile::TempDir,
}

fn line(
    id: Option<&str>,
    req: &str,
    ts: &str,
    model: &str,
    input: u64,
    output: u64,
    extra: &str,
) -> String {
    let id = id.map_or(String::new(), |id| format!(r#""id":"{id}","#));
    format!(
        r#"{{"type":"assistant","timestamp":"{ts}","sessionId":"s","requestId":"{req}"{extra},"message":{{{id}"model":"{model}","usage":{{"input_tokens":{input},"output_tokens":{output},"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}}}}"#
    )
}

impl Logs {
    fn new() -> Logs {
        let logs = Logs {
            dir: tempfile::tempdir().unwrap(),
            store_dir: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir_all(logs.dir.path().join("projects/-home-u-app")).unwrap();
        logs
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join("projects/-home-u-app").join(name)
    }

    fn write(&self, name: &str, lines: &[String]) {
        let mut text = lines.join("\n");
        text.push('\n');
        std::fs::write(self.file(name), text).unwrap();
    }

    fn append(&self, name: &str, lines: &[String]) {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(self.file(name))
            .unwrap();
        for l in lines {
            writeln!(f, "{l}").unwrap();
        }
    }

    fn store(&self) -> Store {
        Store::open(self.store_dir.path()).unwrap()
    }

    fn scan(&self) -> sources::ScanSummary {
        let store = self.store();
        let prices = PriceTable::load(&store).unwrap();
        let request = ScanRequest {
            sources: vec![SourceKind::ClaudeCode],
            roots: Some(vec![self.dir.path().to_path_buf()]),
        };
        sources::scan(&store, &prices, &request, &Quiet).unwrap()
    }

    fn report(&self, grouping: Grouping, tz: &str) -> report::Report {
        report::run(
            &self.store(),
            &ReportQuery::new(grouping, tz.parse().unwrap()),
        )
        .unwrap()
    }

    fn totals(&self) -> report::Amounts {
        self.report(Grouping::Daily, "UTC").totals
    }
}

const SONNET: &str = "claude-sonnet-4-5-20250929";
const TS: &str = "2025-11-20T10:00:00.000Z";

#[test]
fn scanning_twice_or_the_same_lines_in_two_files_changes_nothing() {
    let logs = Logs::new();
    let lines: Vec<String> = (0..50)
        .map(|i| {
            line(
                Some(&format!("msg_{i}")),
                &format!("req_{i}"),
                TS,
                SONNET,
                100,
                10,
                "",
            )
        })
        .collect();
    logs.write("a.jsonl", &lines);
    let first = logs.scan();
    assert_eq!(first.usage_lines, 50);
    let totals = logs.totals();
    assert_eq!(totals.tokens.input, 5000);
    assert_eq!(logs.scan().bytes_read, 0, "nothing new: nothing read");
    logs.write("b-resumed.jsonl", &lines);
    logs.scan();
    assert_eq!(
        logs.totals(),
        totals,
        "a resumed session's copies are the same requests"
    );
}

#[test]
fn dedup_follows_the_rules() {
    let logs = Logs::new();
    logs.write(
        "s.jsonl",
        &[
            // same key twice: the larger token sum wins (wherever it comes)
            line(Some("m1"), "r1", TS, SONNET, 100, 10, ""),
            line(Some("m1"), "r1", TS, SONNET, 100, 20, ""),
            line(Some("m1"), "r1", TS, SONNET, 100, 15, ""),
            // a sidechain copy of a main-chain message, even with more tokens, gives way to the main one
            line(Some("m2"), "r2", TS, SONNET, 1, 1, ""),
            line(
                Some("m2"),
                "r9",
                TS,
                SONNET,
                500,
                500,
                r#","isSidechain":true"#,
            ),
            // two sidechain lines with one id but different requests collide; the larger wins
            line(Some("m3"), "r3", TS, SONNET, 7, 0, r#","isSidechain":true"#),
            line(Some("m3"), "r4", TS, SONNET, 9, 0, r#","isSidechain":true"#),
            // two main-chain lines with one id but different requests both count
            line(Some("m4"), "r5", TS, SONNET, 1000, 0, ""),
            line(Some("m4"), "r6", TS, SONNET, 1000, 0, ""),
            // lines without a message id are never merged
            line(None, "r7", TS, SONNET, 3, 0, ""),
            line(None, "r7", TS, SONNET, 3, 0, ""),
        ],
    );
    logs.scan();
    let t = logs.totals();
    assert_eq!(
        t.tokens.input,
        100 + 1 + 9 + 2000 + 6,
        "inputs kept by the dedup rules"
    );
    assert_eq!(t.tokens.output, 20 + 1, "outputs kept by the dedup rules");
    assert_eq!(t.requests, 7);
    // a later scan with the sidechain copy in another file changes nothing either
    logs.write(
        "sub.jsonl",
        &[line(
            Some("m2"),
            "r2",
            TS,
            SONNET,
            900,
            900,
            r#","isSidechain":true"#,
        )],
    );
    logs.scan();
    assert_eq!(logs.totals().tokens.input, t.tokens.input);
}

#[test]
fn reported_cost_wins_and_unpriced_models_are_shown_apart() {
    let logs = Logs::new();
    logs.write(
        "s.jsonl",
        &[
            line(
                Some("a"),
                "1",
                TS,
                SONNET,
                1_000_000,
                0,
                r#","costUSD":1.25"#,
            ),
            line(Some("b"), "2", TS, "claude-nebula-9", 4000, 1000, ""),
            line(Some("c"), "3", TS, "<synthetic>", 10, 10, ""),
            line(Some("d"), "4", TS, SONNET, 1_000_000, 0, ""),
        ],
    );
    logs.scan();
    let r = logs.report(Grouping::Daily, "UTC");
    // $1.25 reported + $3 calculated (1M input at $3/M) + $0 synthetic; the unknown model is not $0 but unpriced
    assert_eq!(r.totals.cost.nanos(), 4_250_000_000);
    assert_eq!(r.totals.unpriced_tokens, 5000);
    assert_eq!(r.totals.unpriced_requests, 1);
    assert_eq!(r.unpriced_models, ["claude-nebula-9"]);
    let json = report::render_json(&r);
    assert_eq!(json["totals"]["unpricedModels"][0], "claude-nebula-9");
    let table = report::render_table(&r, true);
    assert!(
        table.contains("Unpriced") && table.contains("claude-nebula-9"),
        "{table}"
    );

    // pricing it reprices the stored records
    let store = logs.store();
    let rates = tallyvault::pricing::RateOverride {
        input: Some("2".parse().unwrap()),
        output: Some("10".parse().unwrap()),
        ..Default::default()
    };
    tallyvault::pricing::set_override(&store, "claude-nebula-9", &rates, "now").unwrap();
    tallyvault::usage::reprice(&store, &PriceTable::load(&store).unwrap()).unwrap();
    let r = logs.report(Grouping::Daily, "UTC");
    assert_eq!(r.totals.unpriced_tokens, 0);
    assert_eq!(
        r.totals.cost.nanos(),
        4_250_000_000 + 8_000_000 + 10_000_000
    );
}

#[test]
fn days_follow_the_time_zone_across_a_dst_change_and_half_hour_offsets() {
    let logs = Logs::new();
    logs.write(
        "s.jsonl",
        &[
            // New York: DST ends 2025-11-02 at 06:00Z. 03:30Z is 23:30 EDT on Nov 1; 05:30Z is 01:30 EDT
            // on Nov 2; 06:30Z is 01:30 EST on Nov 2; 04:59Z on Nov 3 is 23:59 EST on Nov 2.
            line(Some("a"), "1", "2025-11-02T03:30:00Z", SONNET, 1, 0, ""),
            line(Some("b"), "2", "2025-11-02T05:30:00Z", SONNET, 10, 0, ""),
            line(Some("c"), "3", "2025-11-02T06:30:00Z", SONNET, 100, 0, ""),
            line(Some("d"), "4", "2025-11-03T04:59:00Z", SONNET, 1000, 0, ""),
            line(Some("e"), "5", "2025-11-03T05:00:00Z", SONNET, 10000, 0, ""),
            // Kolkata (+05:30): 18:15Z is 23:45 on Oct 1, 18:45Z is 00:15 on Oct 2, in one UTC hour
            line(
                Some("f"),
                "6",
                "2025-10-01T18:15:00Z",
                SONNET,
                100000,
                0,
                "",
            ),
            line(
                Some("g"),
                "7",
                "2025-10-01T18:45:00+00:00",
                SONNET,
                1000000,
                0,
                "",
            ),
        ],
    );
    logs.scan();
    let days = |tz: &str| -> Vec<(String, u64)> {
        logs.report(Grouping::Daily, tz)
            .rows
            .into_iter()
            .map(|r| (r.key, r.amounts.tokens.input))
            .collect()
    };
    assert_eq!(
        days("America/New_York"),
        [
            ("2025-10-01".into(), 1_100_000),
            ("2025-11-01".into(), 1),
            ("2025-11-02".into(), 1110),
            ("2025-11-03".into(), 10000)
        ]
    );
    assert_eq!(
        days("Asia/Kolkata")[..2],
        [
            ("2025-10-01".into(), 100_000),
            ("2025-10-02".into(), 1_000_000)
        ]
    );
    let mut q = ReportQuery::new(Grouping::Daily, "America/New_York".parse().unwrap());
    q.since = NaiveDate::from_ymd_opt(2025, 11, 2);
    q.until = NaiveDate::from_ymd_opt(2025, 11, 2);
    let r = report::run(&logs.store(), &q).unwrap();
    assert_eq!(
        r.totals.tokens.input, 1110,
        "--since/--until are local dates"
    );
}

#[test]
fn appended_truncated_and_replaced_files() {
    let logs = Logs::new();
    let mk = |i: usize| {
        line(
            Some(&format!("m{i}")),
            &format!("r{i}"),
            TS,
            SONNET,
            1,
            0,
            "",
        )
    };
    logs.write("s.jsonl", &(0..100).map(mk).collect::<Vec<_>>());
    logs.scan();
    let size = std::fs::metadata(logs.file("s.jsonl")).unwrap().len();
    logs.append("s.jsonl", &(100..110).map(mk).collect::<Vec<_>>());
    let s = logs.scan();
    assert!(
        s.bytes_read < size / 5,
        "an append reads only the new bytes ({} of {size})",
        s.bytes_read
    );
    assert_eq!(logs.totals().tokens.input, 110);

    // a half-written last line is not consumed, and counts once complete
    let partial = mk(110);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(logs.file("s.jsonl"))
        .unwrap();
    f.write_all(&partial.as_bytes()[..40]).unwrap();
    drop(f);
    logs.scan();
    assert_eq!(logs.totals().tokens.input, 110);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(logs.file("s.jsonl"))
        .unwrap();
    f.write_all(&partial.as_bytes()[40..]).unwrap();
    f.write_all(b"\n").unwrap();
    drop(f);
    logs.scan();
    assert_eq!(logs.totals().tokens.input, 111);

    // truncated and rewritten: read again from the start; dedup keeps totals right
    logs.write("s.jsonl", &(0..20).map(mk).collect::<Vec<_>>());
    let s = logs.scan();
    assert!(s.bytes_read > 0);
    assert_eq!(
        logs.totals().tokens.input,
        111,
        "records already seen stay counted once"
    );

    // rotated: replaced by a new file (new inode) with different content under the same name
    let tmp = logs.file("s.jsonl.new");
    std::fs::write(
        &tmp,
        (200..205).map(mk).collect::<Vec<_>>().join("\n") + "\n",
    )
    .unwrap();
    std::fs::rename(&tmp, logs.file("s.jsonl")).unwrap();
    logs.scan();
    assert_eq!(logs.totals().tokens.input, 116);
}

#[test]
fn malformed_and_pretty_lines() {
    let logs = Logs::new();
    let good = line(Some("m1"), "r1", TS, SONNET, 5, 0, "");
    let spaced = r#"{"type": "assistant", "timestamp": "2025-11-20T10:00:00Z", "requestId": "r2", "message": {"id": "m2", "model": "claude-sonnet-4-5-20250929", "usage": {"input_tokens": 7, "output_tokens": 0}}}"#;
    logs.write(
        "s.jsonl",
        &[
            good.clone(),
            good[..good.len() / 2].to_string(),
            "garbage not json".into(),
            spaced.into(),
            r#"{"type":"user","message":{"role":"user","content":"hi"}}"#.into(),
            line(Some("m3"), "r3", "not a time", SONNET, 1, 0, ""),
            good.replace("\"input_tokens\":5", "\"input_tokens\":-5"),
        ],
    );
    let s = logs.scan();
    assert_eq!(s.usage_lines, 2);
    assert_eq!(
        s.skipped_lines, 4,
        "truncated, garbage, bad time, negative count"
    );
    assert_eq!(
        logs.totals().tokens.input,
        12,
        "a spaced line counts like a compact one"
    );
}

#[test]
fn a_one_gigabyte_file_is_read_in_bounded_memory() {
    let logs = Logs::new();
    let path = logs.file("huge.jsonl");
    {
        let mut f =
            std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path).unwrap());
        let filler = format!(
            r#"{{"type":"user","toolUseResult":"{}"}}"#,
            "x".repeat(1 << 20)
        );
        let mut written = 0usize;
        let mut i = 0;
        while written < (1 << 30) {
            let l = line(
                Some(&format!("m{i}")),
                &format!("r{i}"),
                TS,
                SONNET,
                1,
                0,
                "",
            );
            writeln!(f, "{l}").unwrap();
            writeln!(f, "{filler}").unwrap();
            written += l.len() + filler.len() + 2;
            i += 1;
        }
        // and one line far above the line limit
        f.write_all(&vec![b'y'; 80 << 20]).unwrap();
        f.write_all(b"\n").unwrap();
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tallyvault"))
        .args([
            "--data-dir",
            logs.store_dir.path().to_str().unwrap(),
            "scan",
            "--source",
            "claude-code",
            "--json",
            "--path",
        ])
        .arg(logs.dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    assert_eq!(
        unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) },
        0
    );
    let peak_mb = usage.ru_maxrss / 1024;
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(summary["bytes_read"].as_u64().unwrap() > 1 << 30);
    assert_eq!(
        summary["skipped_lines"], 1,
        "the oversized line is skipped, not loaded"
    );
    assert!(peak_mb < 200, "peak memory {peak_mb} MB for a 1 GB file");
    std::fs::remove_file(&path).unwrap();
}

fn write_csv(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn csv_imports_are_idempotent_and_errors_name_their_lines() {
    let logs = Logs::new();
    let store = logs.store();
    let prices = PriceTable::load(&store).unwrap();
    let good = write_csv(
        logs.dir.path(),
        "usage.csv",
        "date,model,input_tokens,output_tokens,cost_usd,project\n\
         2025-11-01,gpt-5,1000000,0,,proj-a\n\
         2025-11-02,gpt-5,0,1000000,2.50,proj-b\n\
         2025-11-02,mystery-model,10,10,,proj-b\n",
    );
    let none = csv_import::Mapping::default();
    let s = csv_import::import(&store, &prices, &good, &none)
        .unwrap()
        .unwrap();
    assert_eq!((s.rows, s.unpriced_rows), (3, 1));
    csv_import::import(&store, &prices, &good, &none)
        .unwrap()
        .unwrap();
    let r = report::run(
        &store,
        &ReportQuery::new(Grouping::Projects, "UTC".parse().unwrap()),
    )
    .unwrap();
    assert_eq!(
        r.totals.cost.nanos(),
        1_250_000_000 + 2_500_000_000,
        "imported twice, counted once"
    );
    assert_eq!(r.totals.unpriced_tokens, 20);

    let bad = write_csv(
        logs.dir.path(),
        "bad.csv",
        "timestamp,model,input_tokens,output_tokens\n2025-11-01,gpt-5,12,3\nnot-a-date,gpt-5,1,1\n2025-11-01,gpt-5,many,1\n",
    );
    let problems = csv_import::import(&store, &prices, &bad, &none)
        .unwrap()
        .unwrap_err();
    let lines: Vec<u64> = problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [3, 4]);
    assert!(
        problems[1].message.contains("input_tokens"),
        "{:?}",
        problems[1]
    );
    let missing = write_csv(logs.dir.path(), "missing.csv", "day,tokens\n2025-11-01,5\n");
    let problems = csv_import::import(&store, &prices, &missing, &none)
        .unwrap()
        .unwrap_err();
    assert!(problems[0].message.contains("Time"), "{:?}", problems[0]);
    // the same file with its own header names mapped
    let mapped = csv_import::Mapping::parse("time=day, model=Model Name, input=Prompt").unwrap();
    let own = write_csv(
        logs.dir.path(),
        "own.csv",
        "Day,Model Name,Prompt\n2025-11-03,gpt-5,1000000\n",
    );
    let s = csv_import::import(&store, &prices, &own, &mapped)
        .unwrap()
        .unwrap();
    assert_eq!(s.rows, 1);
    assert!(csv_import::Mapping::parse("colour=x")
        .unwrap_err()
        .to_string()
        .contains("unknown field"));
    let wrong = csv_import::Mapping::parse("time=Nope").unwrap();
    let problems = csv_import::import(&store, &prices, &own, &wrong)
        .unwrap()
        .unwrap_err();
    assert!(
        problems[0].message.contains("\"Nope\""),
        "{:?}",
        problems[0]
    );
}

/// Batched upserts resolve collisions inside one batch as one-by-one upserts would: for each id, the record
/// with the larger token sum, then the higher cost, then the fast one, and the first of equals.
#[test]
fn batched_upserts_keep_the_better_duplicate_inside_a_batch() {
    use tallyvault::money::Money;
    use tallyvault::pricing::TokenCounts;
    use tallyvault::usage::{self, Conflict, CostOrigin, UsageRecord};

    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(dir.path()).expect("store");
    // 1,000 records over 97 ids, in an order that puts many collisions in the same batch.
    let record = |i: u64| {
        let id = (i * 7919) % 97;
        UsageRecord {
            id: usage::record_id(&[b"batch", &id.to_be_bytes()]),
            source: "claude-code".into(),
            provider: "anthropic".into(),
            model: "m".into(),
            project: format!("p{i}"),
            session: String::new(),
            ts_ms: 1_700_000_000_000 + (id as i64) * 60_000,
            tokens: TokenCounts {
                input: (i * 31) % 50,
                output: 1,
                ..TokenCounts::default()
            },
            requests: 1,
            cost: Some(Money::from_nanos(((i * 17) % 5) as i64)),
            cost_origin: CostOrigin::Calculated,
            reported_cost: None,
            fast: i % 3 == 0,
            message_key: None,
            sidechain: false,
            origin_path: None,
        }
    };
    let records: Vec<UsageRecord> = (0..1000).map(record).collect();
    let mut best: std::collections::BTreeMap<i64, (u64, i64, bool, String)> = Default::default();
    for r in &records {
        let rank = (r.tokens.total(), r.cost.map_or(0, Money::nanos), r.fast);
        let e = best
            .entry(r.id)
            .or_insert((rank.0, rank.1, rank.2, r.project.clone()));
        if rank > (e.0, e.1, e.2) {
            *e = (rank.0, rank.1, rank.2, r.project.clone());
        }
    }
    store
        .write(|tx| usage::upsert(tx, &records, Conflict::KeepBetter).map(|_| ()))
        .expect("upsert");
    let stored = store
        .read(|tx| {
            let mut stmt = tx.prepare(
                "SELECT id, input_tokens + output_tokens, cost_nanos, fast, project FROM usage_records",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        (
                            r.get::<_, i64>(1)? as u64,
                            r.get::<_, i64>(2)?,
                            r.get::<_, bool>(3)?,
                            r.get::<_, String>(4)?,
                        ),
                    ))
                })?
                .collect::<rusqlite::Result<std::collections::BTreeMap<_, _>>>()?;
            Ok(rows)
        })
        .expect("read");
    assert_eq!(stored.len(), 97);
    assert_eq!(stored, best);
}

/// Log files are listed in path order (component by component), whatever bytes sort before `/` in a name.
#[test]
fn log_files_are_listed_in_path_order() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "a/z.jsonl",
        "a-c/x.jsonl",
        "a.b/y.jsonl",
        "a b/w.jsonl",
        "a/b/v.jsonl",
        "a!/u.jsonl",
        "b.jsonl",
        "a/b.jsonl",
        "a/b-/t.jsonl",
        "a/notes.txt",
    ] {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "").unwrap();
    }
    let listed = tallyvault::sources::jsonl_files(dir.path());
    let mut expected = listed.clone();
    expected.sort();
    assert_eq!(listed, expected);
    assert_eq!(listed.len(), 9, "{listed:?}");
}

/// The hourly rollups, rebuilt in full (summed in Rust) or hour by hour (summed by SQLite), always equal a
/// GROUP BY over the records; and a first scan, which builds the secondary indexes after writing and drops
/// the triggers while it writes, leaves exactly the indexes and triggers the migrations made.
#[test]
fn rollups_equal_a_group_by_over_the_records_and_first_scans_keep_the_indexes() {
    use tallyvault::money::Money;
    use tallyvault::pricing::TokenCounts;
    use tallyvault::usage::{self, Conflict, CostOrigin, UsageRecord};

    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(dir.path()).expect("store");
    let indexes = |store: &Store| -> Vec<(String, Option<String>)> {
        store
            .read(|tx| {
                let mut stmt = tx.prepare(
                    "SELECT name, sql FROM sqlite_master
                     WHERE type IN ('index', 'trigger') AND tbl_name = 'usage_records' ORDER BY name",
                )?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
            })
            .expect("indexes")
    };
    let migrated = indexes(&store);
    assert!(migrated.len() >= 6, "{migrated:?}");

    let record = |i: i64| UsageRecord {
        id: usage::record_id(&[b"rollup", &i.to_be_bytes()]),
        source: ["claude-code", "codex", "openai-api"][(i % 3) as usize].into(),
        provider: ["anthropic", "openai"][(i % 2) as usize].into(),
        model: ["a", "b", "c", ""][(i % 4) as usize].into(),
        project: format!("p{}", i % 5),
        session: format!("s{}", i % 7),
        // 0.7 h apart, some before 1970 (SQL's division truncates towards zero)
        ts_ms: -30_000_000 + i * 2_520_000,
        tokens: TokenCounts {
            input: (i * 13 % 1000) as u64,
            cache_write_5m: (i % 3) as u64,
            cache_write_1h: (i % 5) as u64,
            cache_read: (i * 7 % 300) as u64,
            output: (i % 11) as u64,
            reasoning: (i % 2) as u64,
        },
        requests: 1 + i % 2,
        cost: (i % 6 != 0).then(|| Money::from_nanos(i * 1_000_003)),
        cost_origin: match i % 6 {
            0 => CostOrigin::Unpriced,
            1 => CostOrigin::Reported,
            _ => CostOrigin::Calculated,
        },
        reported_cost: None,
        fast: i % 4 == 1,
        message_key: None,
        sidechain: false,
        origin_path: None,
    };
    let group_by = "SELECT ts / 3600000 AS h, source, provider, model, fast, project, SUM(input_tokens),
            SUM(cache_write_5m), SUM(cache_write_1h), SUM(cache_read), SUM(output_tokens),
            SUM(reasoning_tokens), SUM(requests), COALESCE(SUM(cost_nanos), 0),
            SUM(CASE WHEN cost_nanos IS NULL THEN input_tokens + cache_write_5m + cache_write_1h + cache_read
                + output_tokens ELSE 0 END),
            SUM(CASE WHEN cost_nanos IS NULL THEN requests ELSE 0 END),
            SUM(CASE WHEN cost_origin = 'reported' THEN requests ELSE 0 END)
        FROM usage_records GROUP BY h, source, provider, model, fast, project";
    let differences = |store: &Store| -> i64 {
        store
            .read(|tx| {
                // and the rollups without the project are usage_hourly's summed over projects
                let models = "SELECT hour, source, provider, model, fast, SUM(input_tokens),
                        SUM(cache_write_5m), SUM(cache_write_1h), SUM(cache_read), SUM(output_tokens),
                        SUM(reasoning_tokens), SUM(requests), SUM(cost_nanos), SUM(unpriced_tokens),
                        SUM(unpriced_requests), SUM(reported_requests)
                    FROM usage_hourly GROUP BY hour, source, provider, model, fast";
                let sql = format!(
                    "SELECT (SELECT COUNT(*) FROM ({group_by} EXCEPT SELECT * FROM usage_hourly))
                          + (SELECT COUNT(*) FROM (SELECT * FROM usage_hourly EXCEPT {group_by}))
                          + (SELECT COUNT(*) FROM ({models} EXCEPT SELECT * FROM usage_hourly_models))
                          + (SELECT COUNT(*) FROM (SELECT * FROM usage_hourly_models EXCEPT {models}))"
                );
                Ok(tx.query_row(&sql, [], |r| r.get(0))?)
            })
            .expect("compare")
    };
    // A first ingest (every hour stale: the full rebuild), then a few more records (a partial refresh),
    // then a price change on a few records (updates: the triggers mark the hours).
    let first: Vec<UsageRecord> = (0..3000).map(record).collect();
    store
        .write(|tx| {
            usage::upsert(tx, &first, Conflict::KeepBetter)?;
            usage::refresh_rollups(tx)
        })
        .expect("first");
    let hourly: i64 = store
        .read(|tx| Ok(tx.query_row("SELECT COUNT(*) FROM usage_hourly", [], |r| r.get(0))?))
        .unwrap();
    assert!(hourly > 2000, "{hourly}");
    assert_eq!(differences(&store), 0);
    let more: Vec<UsageRecord> = (2990..3050)
        .map(|i| {
            let mut r = record(i);
            r.tokens.input += 1;
            r
        })
        .collect();
    store
        .write(|tx| {
            usage::upsert(tx, &more, Conflict::KeepBetter)?;
            usage::refresh_rollups(tx)
        })
        .expect("more");
    assert_eq!(differences(&store), 0);
    store
        .write(|tx| {
            tx.execute(
                "UPDATE usage_records SET cost_nanos = NULL, cost_origin = 'unpriced' WHERE ts % 7 = 0 OR ts < 0",
                [],
            )?;
            usage::refresh_rollups(tx)
        })
        .expect("reprice");
    assert_eq!(differences(&store), 0);
    assert_eq!(indexes(&store), migrated);

    // Rollups summed by an upserter as it writes into an empty table, over calls: a better duplicate of a
    // record written by an earlier call is an update of the stored row.
    let fresh_dir = tempfile::tempdir().expect("dir");
    let fresh = Store::open(fresh_dir.path()).expect("store");
    let better: Vec<UsageRecord> = (0..400)
        .step_by(3)
        .map(|i| {
            let mut r = record(i);
            r.tokens.output += 1_000;
            r.project = "moved".into();
            r.ts_ms += 3_600_000;
            r
        })
        .collect();
    fresh
        .write(|tx| {
            let mut upserter = usage::Upserter::with_rollups(tx, Conflict::KeepBetter)?;
            upserter.write(tx, &first[..400].iter().collect::<Vec<_>>())?;
            upserter.write(tx, &better.iter().collect::<Vec<_>>())?;
            upserter.write(tx, &first[400..].iter().collect::<Vec<_>>())?;
            upserter.refresh_rollups(tx)
        })
        .expect("upserter");
    assert_eq!(differences(&fresh), 0);

    // A first scan of log files sets the secondary indexes aside and builds them again, and sums its rollups
    // as it writes: through a better duplicate in a later file (an update), sidechain copies of main
    // messages (one read after its main copy, not written; one read before it, deleted at the end) and a
    // file read again from the start (its position-keyed records forgotten).
    let logs = Logs::new();
    let main_lines: Vec<String> = (0..50)
        .map(|i| {
            line(
                Some(&format!("m{i}")),
                &format!("r{i}"),
                TS,
                SONNET,
                10,
                1,
                "",
            )
        })
        .collect();
    logs.write("a.jsonl", &main_lines);
    let side = r#","isSidechain":true"#;
    logs.write("0.jsonl", &[line(Some("m3"), "x", TS, SONNET, 11, 1, side)]);
    logs.write(
        "b.jsonl",
        &[
            line(Some("m1"), "r1", TS, SONNET, 500, 1, ""),
            line(Some("m2"), "r2", TS, SONNET, 7, 1, side),
            line(Some("s1"), "rs", TS, SONNET, 9, 1, side),
            line(None, "rp", "2025-11-21T10:00:00.000Z", SONNET, 3, 3, ""),
        ],
    );
    logs.scan();
    let store = logs.store();
    assert_eq!(indexes(&store), migrated);
    assert_eq!(differences(&store), 0);
    let totals = |store: &Store| -> (i64, i64) {
        store
            .read(|tx| {
                Ok(tx.query_row(
                    "SELECT COUNT(*), SUM(input_tokens) FROM usage_records",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?)
            })
            .unwrap()
    };
    assert_eq!(totals(&store), (52, 49 * 10 + 500 + 9 + 3));
    // b.jsonl rewritten shorter: read again from the start, its position-keyed record forgotten (records
    // keyed by message id stay).
    logs.write("b.jsonl", &[line(Some("m3"), "r3", TS, SONNET, 1, 1, "")]);
    logs.scan();
    assert_eq!(totals(&logs.store()), (51, 49 * 10 + 500 + 9));
    assert_eq!(differences(&logs.store()), 0);
}

/// Roots that overlap (a folder named twice, or a folder and its `projects/`) read each file once, so a
/// rewritten file's position-keyed records are forgotten once and read again once.
#[test]
fn overlapping_roots_read_each_file_once() {
    let logs = Logs::new();
    let positional = |n: u64| line(None, "r", TS, SONNET, n, 1, "");
    logs.write("a.jsonl", &[positional(100), positional(200)]);
    let store = logs.store();
    let prices = PriceTable::load(&store).unwrap();
    let root = logs.dir.path().to_path_buf();
    let request = ScanRequest {
        sources: vec![SourceKind::ClaudeCode],
        roots: Some(vec![root.clone(), root.join("projects"), root.clone()]),
    };
    let first = sources::scan(&store, &prices, &request, &Quiet).unwrap();
    assert_eq!(first.files, 1);
    assert_eq!(logs.totals().tokens.input, 300);
    // Rewritten shorter: read again from the start; its old position-keyed records are gone.
    logs.write("a.jsonl", &[positional(7)]);
    let again = sources::scan(&store, &prices, &request, &Quiet).unwrap();
    assert_eq!((again.files, again.files_read), (1, 1));
    assert_eq!(logs.totals().tokens.input, 7);
}

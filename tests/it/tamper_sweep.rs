//! The tamper sweep: every byte of every secret and note blob, of the vault header (`vault_meta`), of every
//! audit row and of the anchor file is flipped in turn, and the database and its WAL are cut at many offsets.
//! Each case must end in a refused open or unlock, a failed `audit verify`, an integrity error or the unlock's
//! integrity warning: never a panic, never a secret that decrypts to something else, never a silent loss. A cut
//! that destroys nothing may also leave everything intact. The cases are counted and the count asserted.
//!
//! Size knob: `TALLYVAULT_HARDEN_SCALE` (default 1) multiplies the credentials, settings and cut offsets.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::Arc;

use rusqlite::types::Value;
use tallyvault::audit::ANCHOR_FILE;
use tallyvault::clock::SystemClock;
use tallyvault::store::{Store, DB_FILE};
use tallyvault::vault::{CredentialRef, Purpose, Vault};

use crate::common::*;

pub fn harden_scale() -> usize {
    std::env::var("TALLYVAULT_HARDEN_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n >= 1)
        .unwrap_or(1)
}

/// What a credential held, newest last: an older value is acceptable only where a rollback is reported.
#[derive(Debug, Clone)]
struct Expected {
    id: i64,
    secrets: Vec<String>,
    note: Option<String>,
}

#[derive(Debug)]
enum Outcome {
    Refused(String),
    Detected(String),
    Intact,
}

impl Outcome {
    fn kind(&self) -> &'static str {
        match self {
            Outcome::Refused(_) => "refused",
            Outcome::Detected(_) => "detected",
            Outcome::Intact => "intact",
        }
    }

    fn message(&self) -> &str {
        match self {
            Outcome::Refused(m) | Outcome::Detected(m) => m,
            Outcome::Intact => "",
        }
    }
}

/// Opens, unlocks, verifies and reads everything back. `Err` is a failure of the product: wrong data or a
/// silent loss.
fn probe(dir: &Path, expected: &[Expected]) -> Result<Outcome, String> {
    let store = match Store::open(dir) {
        Ok(store) => store,
        Err(e) => return Ok(Outcome::Refused(format!("open: {e}"))),
    };
    let mut detected: Vec<String> = Vec::new();
    match store
        .read(|tx| Ok(tx.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0))?))
    {
        Ok(check) if check == "ok" => {}
        Ok(check) => detected.push(format!("integrity_check: {check}")),
        Err(e) => detected.push(format!("integrity_check: {e}")),
    }
    let vault = match Vault::unlock(
        dir,
        store,
        &password(PASSWORD),
        &policy(),
        Arc::new(SystemClock),
    ) {
        Ok((vault, report)) => {
            detected.extend(report.integrity_warning);
            vault
        }
        Err(e) => return Ok(Outcome::Refused(format!("unlock: {e}"))),
    };
    match vault.verify_audit() {
        Ok(report) => detected.extend(report.problem.map(|p| format!("audit verify: {p}"))),
        Err(e) => detected.push(format!("audit verify: {e}")),
    }
    let mut stale = Vec::new();
    let mut lost = Vec::new();
    for c in expected {
        match vault.read_secret(&CredentialRef::Id(c.id), Purpose::Reveal) {
            Ok(s) if c.secrets.last().is_some_and(|latest| latest == s.expose()) => {}
            Ok(s) if c.secrets.iter().any(|old| old == s.expose()) => stale.push(c.id),
            Ok(_) => {
                return Err(format!(
                    "credential {} decrypted to a secret it never held",
                    c.id
                ))
            }
            Err(tallyvault::Error::NotFound(_)) => lost.push(c.id),
            Err(e) => detected.push(format!("secret {}: {e}", c.id)),
        }
        match vault.read_note(&CredentialRef::Id(c.id)) {
            Ok(note) if note == c.note => {}
            Ok(_) => return Err(format!("credential {} has a note it never held", c.id)),
            Err(tallyvault::Error::NotFound(_)) => {}
            Err(e) => detected.push(format!("note {}: {e}", c.id)),
        }
    }
    if detected.is_empty() {
        if !stale.is_empty() || !lost.is_empty() {
            return Err(format!(
                "older secrets ({stale:?}) or lost credentials ({lost:?}) with nothing reported"
            ));
        }
        return Ok(Outcome::Intact);
    }
    Ok(Outcome::Detected(detected.join("; ")))
}

/// A copy of the files in `from`, made fresh for each case.
fn restore(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(to).expect("case dir") {
        let path = entry.expect("entry").path();
        // A connection the pool was replacing in the background (r2d2 replaces one that failed its check on a
        // damaged file) may close after the case and take its -wal/-shm with it: gone is what we want.
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => panic!("clear the case dir: {e}"),
            _ => {}
        }
    }
    for entry in std::fs::read_dir(from).expect("source dir") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("file name");
        std::fs::copy(&path, to.join(name)).expect("copy a vault file");
    }
}

/// Counts outcomes and keeps the first failures.
#[derive(Default)]
struct Tally {
    cases: usize,
    outcomes: BTreeMap<String, usize>,
    /// The distinct messages the user would have seen, with how often each came up.
    messages: BTreeMap<String, usize>,
    failures: Vec<String>,
}

impl Tally {
    fn run(
        &mut self,
        name: &str,
        pristine: &Path,
        case_dir: &Path,
        expected: &[Expected],
        intact_allowed: bool,
        mutate: impl FnOnce(&Path),
    ) {
        self.cases += 1;
        restore(pristine, case_dir);
        mutate(case_dir);
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| probe(case_dir, expected)));
        let verdict = match outcome {
            Err(_) => Err("panicked".to_string()),
            Ok(Err(wrong)) => Err(wrong),
            Ok(Ok(Outcome::Intact)) if !intact_allowed => {
                Err("nothing noticed the change".to_string())
            }
            Ok(Ok(outcome)) => Ok(outcome),
        };
        match verdict {
            Ok(outcome) => {
                *self.outcomes.entry(outcome.kind().into()).or_default() += 1;
                // one line per kind of message: numbers (seqs, offsets) folded away
                let shape: String = outcome
                    .message()
                    .chars()
                    .map(|c| if c.is_ascii_digit() { '#' } else { c })
                    .take(160)
                    .collect();
                *self
                    .messages
                    .entry(format!("{}: {shape}", outcome.kind()))
                    .or_default() += 1;
            }
            Err(why) => {
                *self.outcomes.entry("FAILED".into()).or_default() += 1;
                if self.failures.len() < 20 {
                    self.failures.push(format!("{name}: {why}"));
                }
            }
        }
    }
}

/// One stored value and the flips of each of its bytes. Integers flip each of their 8 big-endian bytes, text
/// each of its (ASCII) bytes, blobs each byte. `mask` is what a byte is XORed with.
fn flips(value: &Value, mask: u8) -> Vec<Value> {
    match value {
        Value::Null => Vec::new(),
        Value::Integer(v) => (0..8)
            .map(|i| Value::Integer(v ^ ((u64::from(mask) << (8 * (7 - i))) as i64)))
            .collect(),
        Value::Text(s) => {
            assert!(s.is_ascii(), "stored text in these columns is ASCII");
            (0..s.len())
                .map(|i| {
                    let mut b = s.as_bytes().to_vec();
                    b[i] ^= mask;
                    Value::Text(String::from_utf8(b).expect("ASCII stays ASCII"))
                })
                .collect()
        }
        Value::Blob(b) => (0..b.len())
            .map(|i| {
                let mut b = b.clone();
                b[i] ^= mask;
                Value::Blob(b)
            })
            .collect(),
        Value::Real(_) => panic!("no REAL column is swept"),
    }
}

fn byte_len(value: &Value) -> usize {
    match value {
        Value::Null => 0,
        Value::Integer(_) => 8,
        Value::Text(s) => s.len(),
        Value::Blob(b) => b.len(),
        Value::Real(_) => 8,
    }
}

/// A small vault: credentials (every other one with a note; one rotated), settings, locked cleanly (no WAL).
fn build(dir: &Path, scale: usize) -> Vec<Expected> {
    let v = Vault::create(
        dir,
        Store::open(dir).expect("store"),
        &password(PASSWORD),
        &policy(),
        Arc::new(SystemClock),
    )
    .expect("create");
    let mut expected = Vec::new();
    for i in 0..2 * scale {
        let secret = random_secret();
        let mut new = new_credential(&format!("cred-{i}"), &secret);
        new.note = (i % 2 == 0).then(|| format!("note {i}"));
        let note = new.note.clone();
        let meta = v.add_credential(new).expect("add");
        expected.push(Expected {
            id: meta.id,
            secrets: vec![secret],
            note,
        });
    }
    let rotated = random_secret();
    v.rotate_secret(&CredentialRef::Id(expected[0].id), password(&rotated))
        .expect("rotate");
    expected[0].secrets.push(rotated);
    for i in 0..scale {
        v.set_setting(&format!("setting-{i}"), "on")
            .expect("setting");
    }
    v.lock().expect("lock");
    drop(v);
    assert!(
        !dir.join(format!("{DB_FILE}-wal")).exists(),
        "closing the last connection checkpoints the WAL"
    );
    expected
}

/// Every column the sweep flips, as (table, key column, key, column, mask). `vault_meta.created_at` is left
/// out: it is informational and deliberately not authenticated (the `vault.create` event holds the
/// authenticated time); `vault_meta.id` is pinned to 1 by a CHECK constraint.
fn targets(conn: &rusqlite::Connection) -> Vec<(&'static str, &'static str, i64, String, u8)> {
    let mut out = Vec::new();
    let ids = |sql: &str| -> Vec<i64> {
        let mut stmt = conn.prepare(sql).expect("ids");
        let rows = stmt.query_map([], |r| r.get(0)).expect("ids");
        rows.map(|r| r.expect("id")).collect()
    };
    for id in ids("SELECT id FROM credentials ORDER BY id") {
        for column in ["secret", "note"] {
            out.push(("credentials", "id", id, column.to_string(), 0x01));
        }
    }
    for column in [
        "format_version",
        "kdf_algorithm",
        "kdf_iterations",
        "kdf_salt",
        "wrapped_data_key",
        "audit_head_seq",
        "audit_head_tag",
        "audit_head_mac",
    ] {
        out.push(("vault_meta", "id", 1, column.to_string(), 0x01));
    }
    for seq in ids("SELECT seq FROM audit_log ORDER BY seq") {
        for column in [
            "seq",
            "at",
            "action",
            "credential_id",
            "details",
            "prev_tag",
            "tag",
        ] {
            // A seq flipped in its low bit would collide with its neighbour's primary key: 0x80 moves it
            // past every row of a small log instead.
            let mask = if column == "seq" { 0x80 } else { 0x01 };
            out.push(("audit_log", "seq", seq, column.to_string(), mask));
        }
    }
    out
}

#[test]
fn every_flipped_byte_and_every_cut_is_caught() {
    let scale = harden_scale();
    let root = tempfile::tempdir().expect("root");
    let pristine = root.path().join("pristine");
    let case_dir = root.path().join("case");
    std::fs::create_dir_all(&case_dir).expect("case dir");
    let expected = build(&pristine, scale);
    let mut tally = Tally::default();

    // 1. byte flips of stored values
    let conn = rusqlite::Connection::open(pristine.join(DB_FILE)).expect("raw");
    let values: Vec<_> = targets(&conn)
        .into_iter()
        .map(|(table, key_col, key, column, mask)| {
            let value: Value = conn
                .query_row(
                    &format!("SELECT {column} FROM {table} WHERE {key_col} = ?1"),
                    [key],
                    |r| r.get(0),
                )
                .expect("value");
            (table, key_col, key, column, mask, value)
        })
        .collect();
    drop(conn);
    for sidecar in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(pristine.join(format!("{DB_FILE}{sidecar}")));
    }
    let mut expected_flips = 0;
    for (table, key_col, key, column, mask, value) in values {
        expected_flips += byte_len(&value);
        for (i, flipped) in flips(&value, mask).into_iter().enumerate() {
            let sql = format!("UPDATE {table} SET {column} = ?1 WHERE {key_col} = ?2");
            tally.run(
                &format!("{table}.{column}[{key}] byte {i}"),
                &pristine,
                &case_dir,
                &expected,
                false,
                |dir| {
                    let conn = rusqlite::Connection::open(dir.join(DB_FILE)).expect("raw");
                    let changed = conn
                        .execute(&sql, rusqlite::params![flipped, key])
                        .expect("the flip is stored");
                    assert_eq!(changed, 1, "one row flipped");
                },
            );
        }
    }
    let anchor = std::fs::read(pristine.join(ANCHOR_FILE)).expect("anchor");
    expected_flips += anchor.len();
    for i in 0..anchor.len() {
        tally.run(
            &format!("{ANCHOR_FILE} byte {i}"),
            &pristine,
            &case_dir,
            &expected,
            false,
            |dir| {
                let mut bytes = anchor.clone();
                bytes[i] ^= 0x01;
                std::fs::write(dir.join(ANCHOR_FILE), bytes).expect("write anchor");
            },
        );
    }
    assert_eq!(tally.cases, expected_flips, "one case per stored byte");

    // 2. cuts of the database and of the WAL, taken while writes were being made (as after a crash)
    let crashed = root.path().join("crashed");
    restore_into_new(&pristine, &crashed);
    let mut late = expected.clone();
    {
        let (v, _) = Vault::unlock(
            &crashed,
            Store::open(&crashed).expect("store"),
            &password(PASSWORD),
            &policy(),
            Arc::new(SystemClock),
        )
        .expect("unlock");
        let secret = random_secret();
        let meta = v
            .add_credential(new_credential("late", &secret))
            .expect("add late");
        late.push(Expected {
            id: meta.id,
            secrets: vec![secret],
            note: None,
        });
        let rotated = random_secret();
        v.rotate_secret(&CredentialRef::Id(late[1].id), password(&rotated))
            .expect("rotate");
        late[1].secrets.push(rotated);
        v.set_setting("late", "yes").expect("setting");
        // copy while the pool is open: the WAL holds every write since the unlock
        let snapshot = root.path().join("snapshot");
        std::fs::create_dir_all(&snapshot).expect("snapshot dir");
        for name in [
            DB_FILE.to_string(),
            format!("{DB_FILE}-wal"),
            ANCHOR_FILE.into(),
        ] {
            std::fs::copy(crashed.join(&name), snapshot.join(&name)).expect("copy");
        }
        drop(v);
        std::fs::remove_dir_all(&crashed).expect("clear");
        std::fs::rename(&snapshot, &crashed).expect("rename");
    }
    let cuts_before = tally.cases;
    let mut expected_cuts = 0;
    for name in [DB_FILE.to_string(), format!("{DB_FILE}-wal")] {
        let len = std::fs::metadata(crashed.join(&name)).expect("len").len();
        let offsets = cut_offsets(len, 24 * scale);
        expected_cuts += offsets.len();
        for offset in offsets {
            tally.run(
                &format!("{name} cut at {offset} of {len}"),
                &crashed,
                &case_dir,
                &late,
                true,
                |dir| {
                    let file = std::fs::OpenOptions::new()
                        .write(true)
                        .open(dir.join(&name))
                        .expect("open for cutting");
                    file.set_len(offset).expect("cut");
                },
            );
        }
    }
    assert_eq!(tally.cases - cuts_before, expected_cuts, "one case per cut");

    eprintln!(
        "tamper sweep (scale {scale}): {} cases ({expected_flips} byte flips, {expected_cuts} cuts): {:?}",
        tally.cases, tally.outcomes
    );
    for (message, count) in &tally.messages {
        eprintln!("  {count:>5}  {message}");
    }
    assert!(
        tally.failures.is_empty(),
        "{} of {} cases failed, first ones:\n{}",
        tally.outcomes.get("FAILED").copied().unwrap_or(0),
        tally.cases,
        tally.failures.join("\n")
    );
    assert!(
        tally.cases >= 1000 * scale,
        "a small vault has over a thousand bytes to flip ({} cases)",
        tally.cases
    );
}

fn restore_into_new(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("dir");
    restore(from, to);
}

/// Where to cut a file of `len` bytes: the start, inside the first header, every page or frame boundary
/// nearby and `n` spread points (each also one byte either side), ending just before the full length.
fn cut_offsets(len: u64, n: usize) -> Vec<u64> {
    let mut offsets = std::collections::BTreeSet::new();
    for fixed in [0, 1, 16, 31, 32, 99, 100, 4095, 4096, 4097] {
        offsets.insert(fixed);
    }
    for i in 1..=n as u64 {
        let at = len * i / (n as u64 + 1);
        offsets.insert(at);
        offsets.insert(at.saturating_sub(1));
        offsets.insert(at + 1);
    }
    offsets.insert(len.saturating_sub(1));
    offsets.into_iter().filter(|o| *o < len).collect()
}

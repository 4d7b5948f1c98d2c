//! Readers of local files: Claude Code and Codex CLI logs (found by themselves) and CSV exports.
//!
//! Scans are incremental: per file we remember its identity (device, inode, a hash of its first bytes),
//! size, mtime and the offset of the first byte not yet consumed, so a rescan reads only appended bytes; a
//! file that shrank or changed identity is read again from the start (the dedup keeps that safe). Files
//! are parsed in parallel, streamed in bounded memory, and written in path order in one transaction.

pub mod claude;
pub mod codex;
pub mod csv_import;
pub mod lines;
pub mod status;

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use rusqlite::{params, Transaction};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::pricing::PriceTable;
use crate::store::Store;
use crate::usage::{self, Conflict, UsageRecord};
use lines::{Line, LineReader};

/// Which local logs to scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    ClaudeCode,
    Codex,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::ClaudeCode => claude::SOURCE,
            SourceKind::Codex => codex::SOURCE,
        }
    }
}

/// What to scan: the sources and, optionally, the folders to read instead of the default ones.
#[derive(Debug, Clone)]
pub struct ScanRequest {
    pub sources: Vec<SourceKind>,
    /// Replace the default roots (a Claude config dir or its `projects/`; a Codex home).
    pub roots: Option<Vec<PathBuf>>,
}

impl Default for ScanRequest {
    fn default() -> Self {
        ScanRequest {
            sources: vec![SourceKind::ClaudeCode, SourceKind::Codex],
            roots: None,
        }
    }
}

/// What a scan did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScanSummary {
    pub files: usize,
    pub files_read: usize,
    pub bytes_read: u64,
    pub lines: u64,
    pub usage_lines: u64,
    pub skipped_lines: u64,
    pub records_written: usize,
    pub duration_ms: u64,
}

/// Progress callbacks: total bytes to read, then bytes read so far.
pub trait Progress: Sync {
    fn start(&self, _total_bytes: u64) {}
    fn advance(&self, _bytes: u64) {}
    fn finish(&self) {}
}

/// No progress reporting.
pub struct Quiet;
impl Progress for Quiet {}

#[derive(Debug, Clone, Default)]
struct FileState {
    device: u64,
    inode: u64,
    size: u64,
    mtime_ns: i64,
    offset: u64,
    head_hash: Option<Vec<u8>>,
    carry: Option<String>,
}

const HEAD_BYTES: u64 = 4096;

fn head_hash(mut file: &File, len: u64) -> std::io::Result<Vec<u8>> {
    let mut buf = vec![0u8; len.min(HEAD_BYTES) as usize];
    file.seek(SeekFrom::Start(0))?;
    file.read_exact(&mut buf)?;
    Ok(crate::crypto::sha256(&buf).to_vec())
}

#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn identity(_meta: &std::fs::Metadata) -> (u64, u64) {
    (0, 0)
}

fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i64)
}

/// One file to look at.
#[derive(Debug, Clone)]
pub struct FileJob {
    pub kind: SourceKind,
    /// The folder its project/session is relative to.
    pub base: PathBuf,
    pub path: PathBuf,
    /// Its metadata when the listing read it (else the scan reads it).
    pub meta: Option<std::fs::Metadata>,
}

/// The outcome of reading one file.
struct FileResult {
    job: FileJob,
    state: FileState,
    /// Read from the start after a change of identity: records keyed by position are forgotten first.
    reread: bool,
    records: Vec<UsageRecord>,
    lines: u64,
    usage_lines: u64,
    skipped: u64,
    bytes: u64,
}

/// Every `*.jsonl` file below `dir`, sorted by path. Folders are listed in parallel (a Claude config holds
/// thousands: one per project and per session with sub-agents).
pub fn jsonl_files(dir: &Path) -> Vec<PathBuf> {
    jsonl_files_with_metadata(dir)
        .into_iter()
        .map(|(path, _)| path)
        .collect()
}

/// [`jsonl_files`] with each file's metadata, read relative to its open folder as it is listed (cheaper than
/// a `stat` of the full path later; `None` when that failed).
fn jsonl_files_with_metadata(dir: &Path) -> Vec<(PathBuf, Option<std::fs::Metadata>)> {
    type Found = Vec<(PathBuf, Option<std::fs::Metadata>)>;
    fn walk(dir: &Path, out: &mut Found) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut dirs = Vec::new();
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                dirs.push(path);
            } else if kind.is_file() && path.extension().is_some_and(|e| e == "jsonl") {
                out.push((path, entry.metadata().ok()));
            }
        }
        let found: Vec<Found> = dirs
            .par_iter()
            .map(|d| {
                let mut found = Vec::new();
                walk(d, &mut found);
                found
            })
            .collect();
        out.extend(found.into_iter().flatten());
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    // Path order (component by component) without parsing components at every comparison: the bytes with
    // each separator made the lowest byte sort the same way (these paths are joined by read_dir, so no `//`
    // or `.` components), once per path instead of once per comparison.
    out.sort_by_cached_key(|(p, _)| {
        let mut key = p.as_os_str().as_encoded_bytes().to_vec();
        for b in key.iter_mut().filter(|b| **b == b'/') {
            *b = 0;
        }
        key
    });
    out
}

/// The files a request covers.
pub fn discover(request: &ScanRequest) -> Vec<FileJob> {
    let mut jobs = Vec::new();
    for kind in &request.sources {
        let roots = match (&request.roots, kind) {
            (Some(roots), _) => roots.clone(),
            (None, SourceKind::ClaudeCode) => claude::default_roots(),
            (None, SourceKind::Codex) => codex::default_roots(),
        };
        for root in roots {
            match kind {
                SourceKind::ClaudeCode => {
                    let projects = claude::projects_dir(&root);
                    for (path, meta) in jsonl_files_with_metadata(&projects) {
                        jobs.push(FileJob {
                            kind: *kind,
                            base: projects.clone(),
                            path,
                            meta,
                        });
                    }
                }
                SourceKind::Codex => jobs.extend(codex::files(&root)),
            }
        }
    }
    // Roots that overlap (the same folder named twice, or a folder and its `projects/`) list a file once.
    let mut listed = std::collections::HashSet::new();
    jobs.retain(|job| listed.insert(job.path.clone()));
    jobs
}

fn load_states(store: &Store) -> Result<HashMap<String, FileState>> {
    store.read(|tx| {
        let mut stmt = tx.prepare("SELECT path, device, inode, size, mtime_ns, offset, head_hash, carry FROM source_files")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                FileState {
                    device: r.get::<_, i64>(1)? as u64,
                    inode: r.get::<_, i64>(2)? as u64,
                    size: r.get::<_, i64>(3)? as u64,
                    mtime_ns: r.get(4)?,
                    offset: r.get::<_, i64>(5)? as u64,
                    head_hash: r.get(6)?,
                    carry: r.get(7)?,
                },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    })
}

/// Decides where to start reading a file: `None` when nothing changed (decided from one `stat`).
fn plan(
    path: &Path,
    listed: Option<&std::fs::Metadata>,
    known: Option<&FileState>,
) -> std::io::Result<Option<(File, FileState, u64, bool)>> {
    let meta = match listed {
        Some(meta) => meta.clone(),
        None => std::fs::metadata(path)?,
    };
    let (device, inode) = identity(&meta);
    let state = FileState {
        device,
        inode,
        size: meta.len(),
        mtime_ns: mtime_ns(&meta),
        offset: 0,
        head_hash: None,
        carry: None,
    };
    let unchanged = |k: &FileState| {
        (k.device, k.inode) == (device, inode)
            && k.size == state.size
            && k.mtime_ns == state.mtime_ns
    };
    if known.is_some_and(unchanged) {
        return Ok(None);
    }
    let file = File::open(path)?;
    let Some(known) = known else {
        return Ok(Some((file, state, 0, false)));
    };
    if (known.device, known.inode) != (device, inode) || meta.len() < known.offset {
        return Ok(Some((file, state, 0, true)));
    }
    let same_head = match &known.head_hash {
        Some(hash) if known.offset > 0 => head_hash(&file, known.offset)? == *hash,
        _ => known.offset == 0,
    };
    if !same_head {
        return Ok(Some((file, state, 0, true)));
    }
    Ok(Some((
        file,
        FileState {
            carry: known.carry.clone(),
            ..state
        },
        known.offset,
        false,
    )))
}

fn read_file(
    job: FileJob,
    known: Option<&FileState>,
    prices: &PriceTable,
    progress: &dyn Progress,
) -> std::io::Result<Option<FileResult>> {
    let Some((mut file, mut state, start, reread)) = plan(&job.path, job.meta.as_ref(), known)?
    else {
        return Ok(None);
    };
    file.seek(SeekFrom::Start(start))?;
    let mut reader = LineReader::new(&file, start);
    let mut result = FileResult {
        job,
        state: state.clone(),
        reread,
        records: Vec::new(),
        lines: 0,
        usage_lines: 0,
        skipped: 0,
        bytes: 0,
    };
    let mut buf = Vec::new();
    let mut parser = Parser::new(&result.job, prices, state.carry.as_deref());
    let mut last_reported = start;
    while let Some((line, bytes)) = reader.next(&mut buf)? {
        result.lines += 1;
        match line {
            Line::Complete { start } => parser.line(bytes, start, &mut result),
            Line::TooLong { .. } => result.skipped += 1,
            // Maybe still being written: take it if it parses (the upsert makes a second read harmless), but
            // leave the offset before it so the next scan sees it whole.
            Line::Unterminated { start } => parser.tail(bytes, start, &mut result),
        }
        let offset = reader.offset();
        if offset - last_reported > 4 * 1024 * 1024 {
            progress.advance(offset - last_reported);
            last_reported = offset;
        }
    }
    let end = reader.offset();
    progress.advance(end.saturating_sub(last_reported));
    state.offset = end;
    state.carry = parser.carry();
    drop(reader);
    if end > 0 {
        state.head_hash = Some(head_hash(&file, end)?);
    }
    result.bytes = end - start;
    result.state = state;
    Ok(Some(result))
}

/// Parses `bytes` as one whole file of `kind`, as a first scan reads it, without a store: the records and
/// the number of lines skipped as malformed. For the fuzz targets and their corpus replay.
#[doc(hidden)]
pub fn parse_file_bytes(
    kind: SourceKind,
    bytes: &[u8],
    prices: &PriceTable,
) -> (Vec<UsageRecord>, u64) {
    let job = FileJob {
        kind,
        base: PathBuf::from("/fuzz"),
        path: PathBuf::from("/fuzz/project/session.jsonl"),
        meta: None,
    };
    let mut result = FileResult {
        job: job.clone(),
        state: FileState::default(),
        reread: false,
        records: Vec::new(),
        lines: 0,
        usage_lines: 0,
        skipped: 0,
        bytes: 0,
    };
    let mut parser = Parser::new(&job, prices, None);
    let mut reader = LineReader::new(bytes, 0);
    let mut buf = Vec::new();
    while let Ok(Some((line, bytes))) = reader.next(&mut buf) {
        match line {
            Line::Complete { start } => parser.line(bytes, start, &mut result),
            Line::TooLong { .. } => result.skipped += 1,
            Line::Unterminated { start } => parser.tail(bytes, start, &mut result),
        }
    }
    (result.records, result.skipped)
}

/// Per-file parsing state (Codex needs the running totals of its session).
// One per file being read: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
enum Parser<'a> {
    Claude {
        context: claude::FileContext,
        prices: &'a PriceTable,
        prefilter: claude::Prefilter,
    },
    Codex(codex::FileParser<'a>),
}

impl<'a> Parser<'a> {
    fn new(job: &FileJob, prices: &'a PriceTable, carry: Option<&str>) -> Parser<'a> {
        match job.kind {
            SourceKind::ClaudeCode => Parser::Claude {
                context: claude::FileContext::new(&job.base, &job.path),
                prices,
                prefilter: claude::Prefilter::default(),
            },
            SourceKind::Codex => {
                let mut parser = codex::FileParser::new(&job.base, &job.path, prices);
                if let Some(carry) = carry.and_then(|c| serde_json::from_str(c).ok()) {
                    parser.carry = carry;
                }
                Parser::Codex(parser)
            }
        }
    }

    /// The state to save with the offset.
    fn carry(&self) -> Option<String> {
        match self {
            Parser::Claude { .. } => None,
            Parser::Codex(parser) => serde_json::to_string(&parser.carry).ok(),
        }
    }

    fn line(&mut self, line: &[u8], offset: u64, out: &mut FileResult) {
        match self {
            Parser::Claude {
                context,
                prices,
                prefilter,
            } => match claude::parse_line(line, offset, context, prices, prefilter) {
                Ok(record) => {
                    out.usage_lines += 1;
                    out.records.push(record);
                }
                Err(claude::LineOutcome::Malformed) => out.skipped += 1,
                Err(claude::LineOutcome::NotUsage) => {}
            },
            Parser::Codex(parser) => parser.line(
                line,
                &mut out.records,
                &mut out.usage_lines,
                &mut out.skipped,
            ),
        }
    }

    fn tail(&mut self, line: &[u8], offset: u64, out: &mut FileResult) {
        if let Parser::Claude {
            context,
            prices,
            prefilter,
        } = self
        {
            if let Ok(record) = claude::parse_line(line, offset, context, prices, prefilter) {
                out.usage_lines += 1;
                out.records.push(record);
            }
        }
        // A Codex tail is left for the next scan: its running totals must see lines in order, once.
    }
}

fn write_results(
    tx: &Transaction<'_>,
    upserter: &mut usage::Upserter,
    results: &[FileResult],
    now: &str,
) -> Result<usize> {
    for r in results.iter().filter(|r| r.reread) {
        upserter.forget_origin(tx, &r.job.path.to_string_lossy())?;
    }
    // In path and line order: of two equal duplicates, the first read is kept.
    let records: Vec<&usage::UsageRecord> = results.iter().flat_map(|r| r.records.iter()).collect();
    let written = upserter.write(tx, &records)?;
    for r in results {
        let path = r.job.path.to_string_lossy();
        tx.prepare_cached(
            "INSERT INTO source_files (path, source, device, inode, size, mtime_ns, offset, head_hash, lines, skipped,
                                       scanned_at, carry)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?13)
             ON CONFLICT(path) DO UPDATE SET device = excluded.device, inode = excluded.inode, size = excluded.size,
                 mtime_ns = excluded.mtime_ns, offset = excluded.offset, head_hash = excluded.head_hash,
                 lines = CASE WHEN ?12 THEN excluded.lines ELSE source_files.lines + excluded.lines END,
                 skipped = CASE WHEN ?12 THEN excluded.skipped ELSE source_files.skipped + excluded.skipped END,
                 scanned_at = excluded.scanned_at, carry = excluded.carry",
        )?
        .execute(params![
                path,
                r.job.kind.as_str(),
                r.state.device as i64,
                r.state.inode as i64,
                r.state.size as i64,
                r.state.mtime_ns,
                r.state.offset as i64,
                r.state.head_hash,
                r.lines as i64,
                r.skipped as i64,
                now,
                r.reread,
                r.state.carry,
            ])?;
    }
    Ok(written)
}

/// Scans the local logs a request covers, storing new usage. Safe to run any number of times.
pub fn scan(
    store: &Store,
    prices: &PriceTable,
    request: &ScanRequest,
    progress: &dyn Progress,
) -> Result<ScanSummary> {
    let started = Instant::now();
    let jobs = discover(request);
    let states = load_states(store)?;
    tracing::debug!(
        target: "tallyvault::scan",
        files = jobs.len(),
        ms = started.elapsed().as_millis() as u64,
        "files listed"
    );
    // The bar's total is what the files held beyond their offsets when last seen: a guess, but no extra stat.
    let total: u64 = jobs
        .iter()
        .map(|j| {
            states
                .get(j.path.to_string_lossy().as_ref())
                .map_or(1 << 20, |s| s.size.saturating_sub(s.offset))
        })
        .sum();
    progress.start(total);
    let mut summary = ScanSummary {
        files: jobs.len(),
        ..Default::default()
    };
    let now = crate::audit::format_time(chrono::Utc::now());

    // Parse chunk k+1 while chunk k is written: a writer thread owns the transaction.
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<FileResult>>(1);
    let writer_store = store.clone();
    let writer_now = now.clone();
    let writer = std::thread::spawn(move || -> Result<usize> {
        let _turn = writer_store.write_gate();
        let mut conn = writer_store.conn()?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let deferred = usage::defer_indexes(&tx)?;
        let mut upserter = usage::Upserter::with_rollups(&tx, Conflict::KeepBetter)?;
        let mut written = 0;
        let mut files = 0;
        let mut upserting = std::time::Duration::ZERO;
        let mut waiting = std::time::Duration::ZERO;
        let mut at = Instant::now();
        for chunk in receiver {
            waiting += at.elapsed();
            files += chunk.len();
            let start = Instant::now();
            written += write_results(&tx, &mut upserter, &chunk, &writer_now)?;
            upserting += start.elapsed();
            at = Instant::now();
        }
        if files == 0 {
            // Nothing was read: leave the database untouched (no commit, no fsync).
            return Ok(0);
        }
        let at = Instant::now();
        if let Some(deferred) = deferred {
            usage::restore_indexes(&tx, deferred)?;
        }
        let indexing = at.elapsed();
        let at = Instant::now();
        upserter.drop_shadowed_sidechains(&tx)?;
        let shadowing = at.elapsed();
        let at = Instant::now();
        upserter.refresh_rollups(&tx)?;
        let rollups = at.elapsed();
        let at = Instant::now();
        tx.commit()?;
        tracing::debug!(
            target: "tallyvault::scan",
            wait_ms = waiting.as_millis() as u64,
            upsert_ms = upserting.as_millis() as u64,
            index_ms = indexing.as_millis() as u64,
            shadow_ms = shadowing.as_millis() as u64,
            rollups_ms = rollups.as_millis() as u64,
            commit_ms = at.elapsed().as_millis() as u64,
            "scan writer"
        );
        Ok(written)
    });

    let mut read_error = None;
    for chunk in jobs.chunks(128) {
        let results: Vec<std::io::Result<Option<FileResult>>> = chunk
            .par_iter()
            .map(|job| {
                read_file(
                    job.clone(),
                    states.get(job.path.to_string_lossy().as_ref()),
                    prices,
                    progress,
                )
            })
            .collect();
        let mut done = Vec::new();
        for (job, result) in chunk.iter().zip(results) {
            match result {
                Ok(Some(r)) => {
                    summary.files_read += 1;
                    summary.bytes_read += r.bytes;
                    summary.lines += r.lines;
                    summary.usage_lines += r.usage_lines;
                    summary.skipped_lines += r.skipped;
                    done.push(r);
                }
                Ok(None) => {}
                // A file that vanished between listing and reading is simply gone.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    read_error = Some(Error::io(format!("cannot read {}", job.path.display()))(e));
                    break;
                }
            }
        }
        if read_error.is_some() || (!done.is_empty() && sender.send(done).is_err()) {
            break;
        }
    }
    drop(sender);
    let written = writer
        .join()
        .map_err(|_| Error::Integrity("the scan's writer thread failed".into()))?;
    if let Some(e) = read_error {
        return Err(e);
    }
    summary.records_written = written?;
    progress.finish();
    summary.duration_ms = started.elapsed().as_millis() as u64;
    tracing::info!(
        target: "tallyvault::scan",
        files = summary.files,
        files_read = summary.files_read,
        bytes = summary.bytes_read,
        usage_lines = summary.usage_lines,
        skipped = summary.skipped_lines,
        written = summary.records_written,
        ms = summary.duration_ms,
        "scan done"
    );
    Ok(summary)
}

/// The last scan time and counts per file, for the sources page.
#[derive(Debug, Clone, Serialize)]
pub struct FileStatus {
    pub path: String,
    pub source: String,
    pub size: i64,
    pub lines: i64,
    pub skipped: i64,
    pub scanned_at: String,
}

pub fn file_statuses(store: &Store) -> Result<Vec<FileStatus>> {
    store.read(|tx| {
        let mut stmt = tx.prepare(
            "SELECT path, source, size, lines, skipped, scanned_at FROM source_files ORDER BY path",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(FileStatus {
                path: r.get(0)?,
                source: r.get(1)?,
                size: r.get(2)?,
                lines: r.get(3)?,
                skipped: r.get(4)?,
                scanned_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    })
}

//! What the local sources look like: the folders each reader looks in, whether they exist, and what the last
//! scans took from them (files, lines, skipped lines, when). Read-only; the scan itself is in `mod.rs`.

use std::path::PathBuf;

use serde::Serialize;

use super::{claude, codex, SourceKind};
use crate::error::Result;
use crate::store::Store;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceStatus {
    pub source: String,
    /// The folders this source is read from (its environment variable or the defaults).
    pub folders: Vec<String>,
    /// Those of them that exist.
    pub existing: Vec<String>,
    pub files: i64,
    pub lines: i64,
    pub skipped_lines: i64,
    /// When a file of this source was last read (RFC 3339, UTC).
    pub last_scan_at: Option<String>,
}

/// The folders `kind` reads when no other folder is given.
pub fn default_folders(kind: SourceKind) -> Vec<PathBuf> {
    match kind {
        SourceKind::ClaudeCode => claude::default_roots()
            .iter()
            .map(|r| claude::projects_dir(r))
            .collect(),
        SourceKind::Codex => codex::default_roots(),
    }
}

/// Every local source's status.
pub fn status(store: &Store) -> Result<Vec<SourceStatus>> {
    [SourceKind::ClaudeCode, SourceKind::Codex]
        .into_iter()
        .map(|kind| {
            let folders = default_folders(kind);
            let (files, lines, skipped, last) = store.read(|tx| {
                Ok(tx.query_row(
                    "SELECT COUNT(*), COALESCE(SUM(lines), 0), COALESCE(SUM(skipped), 0), MAX(scanned_at)
                     FROM source_files WHERE source = ?1",
                    [kind.as_str()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )?)
            })?;
            Ok(SourceStatus {
                source: kind.as_str().to_string(),
                existing: folders
                    .iter()
                    .filter(|f| f.is_dir())
                    .map(|f| f.display().to_string())
                    .collect(),
                folders: folders.iter().map(|f| f.display().to_string()).collect(),
                files,
                lines,
                skipped_lines: skipped,
                last_scan_at: last,
            })
        })
        .collect()
}

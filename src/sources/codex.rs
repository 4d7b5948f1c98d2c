//! Codex CLI sessions: every `*.jsonl` under each `CODEX_HOME` entry (default `~/.codex`), in `sessions/`
//! and `archived_sessions/` (the `sessions/` copy wins when both hold the same relative path).
//!
//! `turn_context` sets the model; `event_msg` lines of type `token_count` carry cumulative
//! `total_token_usage` and this request's `last_token_usage`. Rules (docs/ccusage-notes.md): a total equal
//! to the previous one adds nothing; otherwise use `last_token_usage`, else the difference of totals
//! (clamped at 0). Cached input is part of input (capped at it); reasoning is part of output. With no model
//! yet, `gpt-5` is assumed. The same event in two files (same millisecond, model and counts) is one record.
//! A forked session (`session_meta.payload.forked_from_id`) starts by replaying its parent's history, stamped
//! within the second of the fork: those events are not counted again.
//! The running totals are saved with the file's offset, so an appended file is read from where it stopped.

use std::path::{Path, PathBuf};

use chrono::DateTime;
use serde::{Deserialize, Serialize};

use super::{FileJob, SourceKind};
use crate::pricing::{PriceTable, TokenCounts};
use crate::usage::{record_id, UsageRecord};

pub const SOURCE: &str = "codex";
const FALLBACK_MODEL: &str = "gpt-5";

pub fn default_roots() -> Vec<PathBuf> {
    if let Ok(list) = std::env::var("CODEX_HOME") {
        return list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .collect();
    }
    directories::BaseDirs::new()
        .map(|b| vec![b.home_dir().join(".codex")])
        .unwrap_or_default()
}

/// The files of one Codex home.
pub fn files(root: &Path) -> Vec<FileJob> {
    let all = super::jsonl_files(root);
    let in_sessions: std::collections::HashSet<PathBuf> = all
        .iter()
        .filter_map(|p| {
            p.strip_prefix(root.join("sessions"))
                .ok()
                .map(Path::to_path_buf)
        })
        .collect();
    all.into_iter()
        .filter(|p| {
            p.strip_prefix(root.join("archived_sessions"))
                .map_or(true, |rel| !in_sessions.contains(rel))
        })
        .map(|path| FileJob {
            kind: SourceKind::Codex,
            base: root.to_path_buf(),
            path,
            meta: None,
        })
        .collect()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Counts {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    cached_input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    #[serde(default)]
    reasoning_output_tokens: u64,
}

impl Counts {
    fn minus(&self, prev: &Counts) -> Counts {
        Counts {
            input_tokens: self.input_tokens.saturating_sub(prev.input_tokens),
            cached_input_tokens: self
                .cached_input_tokens
                .saturating_sub(prev.cached_input_tokens),
            output_tokens: self.output_tokens.saturating_sub(prev.output_tokens),
            reasoning_output_tokens: self
                .reasoning_output_tokens
                .saturating_sub(prev.reasoning_output_tokens),
        }
    }

    fn is_zero(&self) -> bool {
        *self == Counts::default()
    }

    fn is_plausible(&self) -> bool {
        [
            self.input_tokens,
            self.cached_input_tokens,
            self.output_tokens,
            self.reasoning_output_tokens,
        ]
        .iter()
        .all(|c| *c <= crate::usage::MAX_COUNT)
    }
}

#[derive(Deserialize)]
struct Info {
    #[serde(default)]
    total_token_usage: Option<Counts>,
    #[serde(default)]
    last_token_usage: Option<Counts>,
    #[serde(default)]
    model: Option<String>,
}

#[derive(Deserialize)]
struct Payload {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    forked_from_id: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    info: Option<Info>,
}

#[derive(Deserialize)]
struct Event {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    payload: Option<Payload>,
}

/// What carries over from one read of a file to the next.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carry {
    pub model: Option<String>,
    pub previous_total: Option<Counts>,
    /// Token counts stamped before this instant (ms) are a fork's replayed history.
    #[serde(default)]
    pub fork_cutoff_ms: Option<i64>,
}

pub struct FileParser<'a> {
    prices: &'a PriceTable,
    session: String,
    project: String,
    pub carry: Carry,
    finder: memchr::memmem::Finder<'static>,
    finder_ctx: memchr::memmem::Finder<'static>,
    finder_meta: memchr::memmem::Finder<'static>,
}

impl<'a> FileParser<'a> {
    pub fn new(root: &Path, path: &Path, prices: &'a PriceTable) -> FileParser<'a> {
        let rel = path.strip_prefix(root).unwrap_or(path);
        let rel = rel
            .strip_prefix("sessions")
            .or_else(|_| rel.strip_prefix("archived_sessions"))
            .unwrap_or(rel);
        let session = rel.with_extension("").to_string_lossy().into_owned();
        FileParser {
            prices,
            session,
            project: String::new(),
            carry: Carry::default(),
            finder: memchr::memmem::Finder::new(b"token_count"),
            finder_ctx: memchr::memmem::Finder::new(b"turn_context"),
            finder_meta: memchr::memmem::Finder::new(b"forked_from_id"),
        }
    }

    /// Handles one complete line.
    pub fn line(
        &mut self,
        line: &[u8],
        out: &mut Vec<UsageRecord>,
        usage_lines: &mut u64,
        skipped: &mut u64,
    ) {
        let is_count = self.finder.find(line).is_some();
        if !is_count
            && self.finder_ctx.find(line).is_none()
            && self.finder_meta.find(line).is_none()
        {
            return;
        }
        let Ok(event) = serde_json::from_slice::<Event>(line) else {
            *skipped += 1;
            return;
        };
        let Some(payload) = event.payload else { return };
        match (event.kind.as_str(), payload.kind.as_deref()) {
            ("session_meta", _)
                if payload
                    .forked_from_id
                    .as_deref()
                    .is_some_and(|id| !id.is_empty()) =>
            {
                let stamp = payload.timestamp.as_deref().or(event.timestamp.as_deref());
                if let Some(t) = stamp.and_then(|t| DateTime::parse_from_rfc3339(t).ok()) {
                    self.carry.fork_cutoff_ms = Some((t.timestamp() + 1) * 1000);
                }
            }
            ("turn_context", _) => {
                if let Some(model) = payload.model.filter(|m| !m.is_empty()) {
                    self.carry.model = Some(model);
                }
            }
            ("event_msg", Some("token_count")) => {
                let Some(info) = payload.info else { return };
                let Some(ts_ms) = event
                    .timestamp
                    .as_deref()
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.timestamp_millis())
                else {
                    *skipped += 1;
                    return;
                };
                if info.total_token_usage.is_some()
                    && info.total_token_usage == self.carry.previous_total
                {
                    return;
                }
                let counted = match (info.last_token_usage, info.total_token_usage) {
                    (Some(last), _) => last,
                    (None, Some(total)) => {
                        total.minus(&self.carry.previous_total.unwrap_or_default())
                    }
                    (None, None) => return,
                };
                if info.total_token_usage.is_some() {
                    self.carry.previous_total = info.total_token_usage;
                }
                if !counted.is_plausible() {
                    *skipped += 1;
                    return;
                }
                if counted.is_zero()
                    || self
                        .carry
                        .fork_cutoff_ms
                        .is_some_and(|cutoff| ts_ms < cutoff)
                {
                    return;
                }
                let model = info
                    .model
                    .or_else(|| self.carry.model.clone())
                    .unwrap_or_else(|| FALLBACK_MODEL.into());
                *usage_lines += 1;
                out.push(self.record(ts_ms, model, counted));
            }
            _ => {}
        }
    }

    fn record(&self, ts_ms: i64, model: String, c: Counts) -> UsageRecord {
        let cached = c.cached_input_tokens.min(c.input_tokens);
        let tokens = TokenCounts {
            input: c.input_tokens - cached,
            cache_write_5m: 0,
            cache_write_1h: 0,
            cache_read: cached,
            output: c.output_tokens,
            reasoning: c.reasoning_output_tokens,
        };
        let id = record_id(&[
            SOURCE.as_bytes(),
            &ts_ms.to_be_bytes(),
            model.as_bytes(),
            &c.input_tokens.to_be_bytes(),
            &cached.to_be_bytes(),
            &c.output_tokens.to_be_bytes(),
            &c.reasoning_output_tokens.to_be_bytes(),
        ]);
        let (cost, cost_origin) = crate::usage::price_tokens(self.prices, &model, &tokens, false);
        UsageRecord {
            id,
            source: SOURCE.into(),
            provider: "openai".into(),
            model,
            project: self.project.clone(),
            session: self.session.clone(),
            ts_ms,
            tokens,
            requests: 1,
            cost,
            cost_origin,
            reported_cost: None,
            fast: false,
            message_key: None,
            sidechain: false,
            origin_path: None,
        }
    }
}

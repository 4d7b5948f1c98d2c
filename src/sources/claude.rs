//! Claude Code's local logs: `<dir>/projects/<project>/<session>.jsonl` (and `subagents/` below), where
//! `<dir>` is each entry of `CLAUDE_CONFIG_DIR`, else `$XDG_CONFIG_HOME/claude` and `~/.claude`.
//!
//! A line counts when it is one JSON object with `message.usage.input_tokens` and `output_tokens`
//! (or the same under `data.message` for agent-progress lines), whatever its spacing. De-duplication follows
//! ccusage (docs/ccusage-notes.md): main-chain lines are keyed by (message id, request id), sidechain lines
//! by message id alone and give way to a main-chain line with the same id; colliding lines keep the larger
//! token sum, then the higher cost, then the fast one. Lines without a message id are keyed by position.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use chrono::DateTime;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::money::Money;
use crate::pricing::{PriceTable, TokenCounts};
use crate::usage::{record_id, CostOrigin, UsageRecord};

pub const SOURCE: &str = "claude-code";

/// The Claude config directories to read, per `CLAUDE_CONFIG_DIR` or the defaults.
pub fn default_roots() -> Vec<PathBuf> {
    if let Ok(list) = std::env::var("CLAUDE_CONFIG_DIR") {
        return list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .collect();
    }
    let mut roots = Vec::new();
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| directories::BaseDirs::new().map(|b| b.home_dir().join(".config")));
    if let Some(xdg) = xdg {
        roots.push(xdg.join("claude"));
    }
    if let Some(base) = directories::BaseDirs::new() {
        roots.push(base.home_dir().join(".claude"));
    }
    roots
}

/// The folder under a root that holds the logs (a root may also name a `projects/` folder directly).
pub fn projects_dir(root: &Path) -> PathBuf {
    if root.file_name().is_some_and(|n| n == "projects") {
        root.to_path_buf()
    } else {
        root.join("projects")
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Speed {
    Fast,
    Standard,
}

#[derive(Deserialize)]
struct CacheCreation {
    #[serde(default)]
    ephemeral_5m_input_tokens: u64,
    #[serde(default)]
    ephemeral_1h_input_tokens: u64,
}

#[derive(Deserialize)]
struct Usage {
    input_tokens: u64,
    output_tokens: u64,
    #[serde(default)]
    cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
    #[serde(default)]
    cache_creation: Option<CacheCreation>,
    #[serde(default)]
    speed: Option<Speed>,
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    model: Option<Cow<'a, str>>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(borrow, default)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "requestId")]
    request_id: Option<Cow<'a, str>>,
    #[serde(default, rename = "isSidechain")]
    is_sidechain: Option<bool>,
    #[serde(default, rename = "costUSD")]
    cost_usd: Option<f64>,
    #[serde(borrow, default)]
    message: Option<Message<'a>>,
    #[serde(borrow, default)]
    data: Option<Progress<'a>>,
}

#[derive(Deserialize)]
struct Progress<'a> {
    #[serde(borrow, default)]
    message: Option<Box<Entry<'a>>>,
}

/// Where a file sits: its project and session, from its path under `projects/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileContext {
    pub path: String,
    pub project: String,
    pub session: String,
}

impl FileContext {
    pub fn new(projects: &Path, file: &Path) -> FileContext {
        let rel = file.strip_prefix(projects).unwrap_or(file);
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let stem = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (project, session) = match parts.len() {
            0 | 1 => (
                "Unknown Project".to_string(),
                parts.first().cloned().unwrap_or_default(),
            ),
            2 => (parts[0].clone(), stem),
            n if parts[n - 2] == "subagents" && n >= 3 => (parts[0].clone(), parts[n - 3].clone()),
            n => (parts[0].clone(), parts[n - 2].clone()),
        };
        FileContext {
            path: file.to_string_lossy().into_owned(),
            project,
            session,
        }
    }
}

/// Why a line was not turned into a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineOutcome {
    /// Not a usage line (cheap check, no JSON parsed).
    NotUsage,
    /// Looked like usage but is malformed: counted as skipped.
    Malformed,
}

/// The cheap pre-check: only lines naming `input_tokens` can hold usage.
pub struct Prefilter(memchr::memmem::Finder<'static>);

impl Default for Prefilter {
    fn default() -> Self {
        Prefilter(memchr::memmem::Finder::new(b"\"input_tokens\""))
    }
}

impl Prefilter {
    pub fn may_hold_usage(&self, line: &[u8]) -> bool {
        self.0.find(line).is_some()
    }
}

/// A cheap shape check for lines we do not parse: `{ ... }`, possibly with whitespace. Blank lines pass.
fn looks_like_object(line: &[u8]) -> bool {
    let trimmed = line.trim_ascii();
    trimmed.is_empty() || (trimmed.first() == Some(&b'{') && trimmed.last() == Some(&b'}'))
}

fn cost_from_f64(value: f64) -> Option<Money> {
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    let text = value.to_string();
    text.parse::<Decimal>()
        .ok()
        .or_else(|| Decimal::from_scientific(&text).ok())
        .and_then(Money::from_record_dollars)
}

fn non_empty(value: Option<Cow<'_, str>>) -> Result<Option<Cow<'_, str>>, LineOutcome> {
    match value {
        Some(v) if v.is_empty() => Err(LineOutcome::Malformed),
        other => Ok(other),
    }
}

/// Turns one line into a record. `offset` is the line's position in the file (the key of lines without a
/// message id).
pub fn parse_line(
    line: &[u8],
    offset: u64,
    file: &FileContext,
    prices: &PriceTable,
    prefilter: &Prefilter,
) -> Result<UsageRecord, LineOutcome> {
    if !prefilter.may_hold_usage(line) {
        return Err(if looks_like_object(line) {
            LineOutcome::NotUsage
        } else {
            LineOutcome::Malformed
        });
    }
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    // Text checked as UTF-8 at once parses faster than bytes (serde_json then checks no string on its own);
    // a line that is not valid UTF-8 throughout is still read as bytes, where only the strings kept must be.
    let entry: Entry<'_> = match std::str::from_utf8(line) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(line),
    }
    .map_err(|_| LineOutcome::Malformed)?;
    // Agent-progress lines carry the request under data.message.
    let entry = match entry {
        Entry {
            message: Some(Message { usage: Some(_), .. }),
            ..
        } => entry,
        Entry {
            data: Some(Progress {
                message: Some(inner),
            }),
            ..
        } => *inner,
        _ => return Err(LineOutcome::NotUsage),
    };
    let Some(message) = entry.message else {
        return Err(LineOutcome::NotUsage);
    };
    let Some(usage) = message.usage else {
        return Err(LineOutcome::NotUsage);
    };
    let timestamp = entry.timestamp.ok_or(LineOutcome::Malformed)?;
    let ts_ms = DateTime::parse_from_rfc3339(&timestamp)
        .map_err(|_| LineOutcome::Malformed)?
        .timestamp_millis();
    let message_id = non_empty(message.id)?;
    let request_id = non_empty(entry.request_id)?;
    let model = non_empty(message.model)?;
    let sidechain = entry.is_sidechain.unwrap_or(false);
    let fast = matches!(usage.speed, Some(Speed::Fast));

    let (write_5m, write_1h) = match &usage.cache_creation {
        Some(c) => (c.ephemeral_5m_input_tokens, c.ephemeral_1h_input_tokens),
        None => (usage.cache_creation_input_tokens.unwrap_or(0), 0),
    };
    let tokens = TokenCounts {
        input: usage.input_tokens,
        cache_write_5m: write_5m,
        cache_write_1h: write_1h,
        cache_read: usage.cache_read_input_tokens.unwrap_or(0),
        output: usage.output_tokens,
        reasoning: 0,
    };
    if !crate::usage::counts_are_plausible(&tokens, 1) {
        return Err(LineOutcome::Malformed);
    }
    let model = model.map(Cow::into_owned).unwrap_or_default();
    let reported = entry.cost_usd.and_then(cost_from_f64);
    let (cost, cost_origin) = if let Some(reported) = reported {
        (Some(reported), CostOrigin::Reported)
    } else {
        crate::usage::price_tokens(prices, &model, &tokens, fast)
    };
    let (id, origin_path) = match (&message_id, sidechain) {
        (Some(mid), false) => {
            let rid = request_id.as_deref().map(str::as_bytes).unwrap_or(b"\0");
            (
                record_id(&[SOURCE.as_bytes(), b"main", mid.as_bytes(), rid]),
                None,
            )
        }
        (Some(mid), true) => (
            record_id(&[SOURCE.as_bytes(), b"side", mid.as_bytes()]),
            None,
        ),
        (None, _) => (
            record_id(&[
                SOURCE.as_bytes(),
                b"pos",
                file.path.as_bytes(),
                &offset.to_be_bytes(),
            ]),
            Some(file.path.clone()),
        ),
    };
    Ok(UsageRecord {
        id,
        source: SOURCE.to_string(),
        provider: "anthropic".to_string(),
        model,
        project: file.project.clone(),
        session: file.session.clone(),
        ts_ms,
        tokens,
        requests: 1,
        cost,
        cost_origin,
        reported_cost: reported,
        fast,
        message_key: message_id.as_deref().map(crate::usage::message_key),
        sidechain,
        origin_path,
    })
}

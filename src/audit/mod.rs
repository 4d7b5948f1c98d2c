//! The encrypted, tamper-evident audit log.
//!
//! Each event is a row with a gapless `seq`, its time, a plain action (for filtering), the credential it
//! concerns, encrypted details (associated data binds the seq), the previous row's tag, and
//! `tag = HMAC(audit key, seq ‖ time ‖ action ‖ credential ‖ SHA-256(details) ‖ previous tag)`.
//! The head `(seq, tag)` is sealed in `vault_meta` and, after each commit, in a small file beside the database
//! (the anchor), so a deleted tail, a forged append or an older copy of the database is caught by [`verify`].
//!
//! Events are appended inside the caller's transaction: the change and its record commit together.

mod anchor;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;

use crate::crypto::{self, Key};
use crate::error::{Error, Result};

pub use anchor::{Anchor, ANCHOR_FILE, PENDING_ANCHOR_FILE};

const GENESIS_TAG: [u8; 32] = [0u8; 32];

/// The keys the log needs: one to encrypt details, one to MAC the chain.
pub struct AuditKeys<'a> {
    pub field: &'a Key,
    pub mac: &'a Key,
}

/// The chain's head after an append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub seq: i64,
    pub tag: [u8; 32],
}

/// Formats a time the way the log stores it (fixed width, so text order is time order).
pub fn format_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn row_tag(
    key: &Key,
    seq: i64,
    at: &str,
    action: &str,
    credential_id: Option<i64>,
    details: &[u8],
    prev_tag: &[u8],
) -> [u8; 32] {
    let cred = credential_id.map_or([0u8; 9], |id| {
        let mut b = [1u8; 9];
        b[1..].copy_from_slice(&id.to_be_bytes());
        b
    });
    crypto::hmac(
        key,
        &[
            b"tallyvault-audit-v1",
            &seq.to_be_bytes(),
            &(at.len() as u64).to_be_bytes(),
            at.as_bytes(),
            &(action.len() as u64).to_be_bytes(),
            action.as_bytes(),
            &cred,
            &crypto::sha256(details),
            prev_tag,
        ],
    )
}

pub(crate) fn head_mac(key: &Key, head: &Head) -> [u8; 32] {
    crypto::hmac(
        key,
        &[
            b"tallyvault-audit-head-v1",
            &head.seq.to_be_bytes(),
            &head.tag,
        ],
    )
}

fn details_aad(seq: i64) -> Vec<u8> {
    crypto::field_aad("audit_log", "details", seq)
}

/// Appends one event in `tx` and reseals the head in `vault_meta`, unless the seal found there does not name
/// the row this event chains on: then it is left as it is, as evidence for `verify`, like a disagreeing
/// anchor (re-sealing would erase the trace of a cut tail or an edited seal).
pub fn append(
    tx: &Transaction<'_>,
    keys: &AuditKeys<'_>,
    at: DateTime<Utc>,
    action: &str,
    credential_id: Option<i64>,
    details: &serde_json::Value,
) -> Result<Head> {
    let last: Option<(i64, Vec<u8>)> = tx
        .query_row(
            "SELECT seq, tag FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let intact = seal_names(tx, keys.mac, last.as_ref())?;
    let (seq, prev_tag) = match last {
        Some((seq, tag)) => (seq + 1, tag),
        None => (1, GENESIS_TAG.to_vec()),
    };
    let at = format_time(at);
    let plaintext = serde_json::to_vec(details)
        .map_err(|e| Error::InvalidInput(format!("audit details cannot be encoded: {e}")))?;
    let blob = crypto::seal(keys.field, &details_aad(seq), &plaintext);
    let tag = row_tag(keys.mac, seq, &at, action, credential_id, &blob, &prev_tag);
    tx.execute(
        "INSERT INTO audit_log (seq, at, action, credential_id, details, prev_tag, tag)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            seq,
            at,
            action,
            credential_id,
            blob,
            prev_tag,
            tag.as_slice()
        ],
    )?;
    let head = Head { seq, tag };
    if intact {
        seal_head(tx, keys.mac, &head)?;
    }
    Ok(head)
}

/// Whether the seal in `vault_meta` is authentic and names `last` (`None`: the log is empty).
fn seal_names(tx: &Transaction<'_>, mac_key: &Key, last: Option<&(i64, Vec<u8>)>) -> Result<bool> {
    let (seq, tag, mac): (i64, Option<Vec<u8>>, Option<Vec<u8>>) = tx
        .query_row(
            "SELECT audit_head_seq, audit_head_tag, audit_head_mac FROM vault_meta WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .ok_or_else(|| Error::Integrity("the vault header is missing".into()))?;
    Ok(match (last, tag, mac) {
        (None, None, None) => seq == 0,
        (Some((last_seq, last_tag)), Some(tag), Some(mac)) if tag.len() == 32 => {
            let mut sealed = [0u8; 32];
            sealed.copy_from_slice(&tag);
            let head = Head { seq, tag: sealed };
            seq == *last_seq
                && crypto::mac_eq(&tag, last_tag)
                && crypto::mac_eq(&head_mac(mac_key, &head), &mac)
        }
        _ => false,
    })
}

/// Whether the seal in `vault_meta` names the log's last row (checked at unlock, before anything is
/// appended).
pub fn seal_is_intact(tx: &Transaction<'_>, mac_key: &Key) -> Result<bool> {
    let last: Option<(i64, Vec<u8>)> = tx
        .query_row(
            "SELECT seq, tag FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    seal_names(tx, mac_key, last.as_ref())
}

/// Seals the log's current last row, whatever the seal said: only for an explicit, audited reset.
pub fn reseal(tx: &Transaction<'_>, mac_key: &Key) -> Result<()> {
    let last: Option<(i64, Vec<u8>)> = tx
        .query_row(
            "SELECT seq, tag FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((seq, tag)) = last {
        if tag.len() == 32 {
            let mut t = [0u8; 32];
            t.copy_from_slice(&tag);
            seal_head(tx, mac_key, &Head { seq, tag: t })?;
        }
    }
    Ok(())
}

fn seal_head(tx: &Transaction<'_>, mac_key: &Key, head: &Head) -> Result<()> {
    let mac = head_mac(mac_key, head);
    let updated = tx.execute(
        "UPDATE vault_meta SET audit_head_seq = ?1, audit_head_tag = ?2, audit_head_mac = ?3 WHERE id = 1",
        params![head.seq, head.tag.as_slice(), mac.as_slice()],
    )?;
    if updated != 1 {
        return Err(Error::Integrity("the vault header is missing".into()));
    }
    Ok(())
}

/// Re-encrypts every event's details under `new` keys and recomputes the chain, in `tx`. Used by data-key
/// rotation after the chain has verified under the old keys.
pub fn rekey(
    tx: &Transaction<'_>,
    old: &AuditKeys<'_>,
    new: &AuditKeys<'_>,
) -> Result<Option<Head>> {
    type StoredRow = (i64, String, String, Option<i64>, Vec<u8>);
    let rows: Vec<StoredRow> = {
        let mut stmt = tx.prepare(
            "SELECT seq, at, action, credential_id, details FROM audit_log ORDER BY seq",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut prev_tag = GENESIS_TAG.to_vec();
    let mut head = None;
    let mut update =
        tx.prepare("UPDATE audit_log SET details = ?2, prev_tag = ?3, tag = ?4 WHERE seq = ?1")?;
    for (seq, at, action, credential_id, details) in rows {
        let plaintext = crypto::open(old.field, &details_aad(seq), &details)?;
        let blob = crypto::seal(new.field, &details_aad(seq), plaintext.expose());
        let tag = row_tag(new.mac, seq, &at, &action, credential_id, &blob, &prev_tag);
        update.execute(params![seq, blob, prev_tag, tag.as_slice()])?;
        prev_tag = tag.to_vec();
        head = Some(Head { seq, tag });
    }
    if let Some(head) = &head {
        seal_head(tx, new.mac, head)?;
    }
    Ok(head)
}

/// What verification found wrong: the first problem, in log order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// A seq is missing: a row was deleted from the middle (or the log renumbered).
    Gap { expected: i64, found: i64 },
    /// The row does not link to the previous row's tag: rows were reordered or one was inserted.
    ChainBroken { seq: i64 },
    /// The row's own tag does not match its contents: it was edited or forged.
    TagMismatch { seq: i64 },
    /// The row's details do not decrypt under the audit key.
    Undecryptable { seq: i64 },
    /// The sealed head in the vault header is not authentic.
    HeadSealInvalid,
    /// The log ends before the sealed head: its tail was deleted.
    TailDeleted { last_seq: i64, sealed_seq: i64 },
    /// There are rows after the sealed head: they were appended without the key.
    RowsAfterHead { sealed_seq: i64, last_seq: i64 },
    /// The anchor file beside the database is missing although the log has events.
    AnchorMissing,
    /// The anchor file is damaged or not authentic.
    AnchorInvalid,
    /// The anchor is ahead of the database: an older copy of the database was restored.
    RolledBack { database_seq: i64, anchor_seq: i64 },
    /// The anchor names a row whose tag differs: the log was rewritten or an older copy restored and extended.
    AnchorMismatch { seq: i64 },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Gap { expected, found } => {
                write!(f, "seq {expected} is missing (next row is {found}): a row was deleted")
            }
            Problem::ChainBroken { seq } => write!(
                f,
                "seq {seq} does not link to the row before it: rows were reordered or a row was inserted"
            ),
            Problem::TagMismatch { seq } => {
                write!(f, "seq {seq} does not match its tag: the row was edited or forged")
            }
            Problem::Undecryptable { seq } => write!(f, "seq {seq}: its details fail authentication"),
            Problem::HeadSealInvalid => write!(f, "the sealed head in the vault header is not authentic"),
            Problem::TailDeleted { last_seq, sealed_seq } => write!(
                f,
                "the log ends at seq {last_seq} but its sealed head is seq {sealed_seq}: the tail was deleted"
            ),
            Problem::RowsAfterHead { sealed_seq, last_seq } => write!(
                f,
                "rows {}..={last_seq} come after the sealed head: they were added without the key",
                sealed_seq + 1
            ),
            Problem::AnchorMissing => write!(f, "the head anchor file ({ANCHOR_FILE}) is missing"),
            Problem::AnchorInvalid => write!(f, "the head anchor file ({ANCHOR_FILE}) is damaged or forged"),
            Problem::RolledBack { database_seq, anchor_seq } => write!(
                f,
                "the database ends at seq {database_seq} but the anchor saw seq {anchor_seq}: an older copy \
                 of the database was restored or its tail was cut"
            ),
            Problem::AnchorMismatch { seq } => write!(
                f,
                "seq {seq} differs from the anchor's record of it: the log was rewritten or an older copy of \
                 the database was restored"
            ),
        }
    }
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Rows checked.
    pub events: i64,
    /// The first problem found; `None` means the log verifies.
    pub problem: Option<Problem>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.problem.is_none()
    }
}

/// Checks the whole chain, the sealed head and the anchor.
pub fn verify(
    tx: &Transaction<'_>,
    keys: &AuditKeys<'_>,
    anchor: Option<&Anchor>,
) -> Result<VerifyReport> {
    let mut stmt = tx.prepare(
        "SELECT seq, at, action, credential_id, details, prev_tag, tag FROM audit_log ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut expected_seq = 1i64;
    let mut prev_tag: Vec<u8> = GENESIS_TAG.to_vec();
    let mut events = 0i64;
    let mut last: Option<Head> = None;
    let mut anchor_row_tag: Option<Vec<u8>> = None;
    let report = |events, problem| {
        Ok(VerifyReport {
            events,
            problem: Some(problem),
        })
    };
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(0)?;
        let at: String = row.get(1)?;
        let action: String = row.get(2)?;
        let credential_id: Option<i64> = row.get(3)?;
        let details: Vec<u8> = row.get(4)?;
        let row_prev: Vec<u8> = row.get(5)?;
        let tag: Vec<u8> = row.get(6)?;
        events += 1;
        if seq != expected_seq {
            return report(
                events,
                Problem::Gap {
                    expected: expected_seq,
                    found: seq,
                },
            );
        }
        if !crypto::mac_eq(&row_prev, &prev_tag) {
            return report(events, Problem::ChainBroken { seq });
        }
        let computed = row_tag(
            keys.mac,
            seq,
            &at,
            &action,
            credential_id,
            &details,
            &row_prev,
        );
        if !crypto::mac_eq(&computed, &tag) {
            return report(events, Problem::TagMismatch { seq });
        }
        if crypto::open(keys.field, &details_aad(seq), &details).is_err() {
            return report(events, Problem::Undecryptable { seq });
        }
        if anchor.is_some_and(|a| a.head.seq == seq) {
            anchor_row_tag = Some(tag.clone());
        }
        prev_tag = tag;
        last = Some(Head { seq, tag: computed });
        expected_seq += 1;
    }
    let last_seq = last.map_or(0, |h| h.seq);

    let (sealed_seq, sealed_tag, sealed_mac): (i64, Option<Vec<u8>>, Option<Vec<u8>>) = tx
        .query_row(
            "SELECT audit_head_seq, audit_head_tag, audit_head_mac FROM vault_meta WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .ok_or_else(|| Error::Integrity("the vault header is missing".into()))?;
    match (sealed_tag, sealed_mac) {
        (Some(tag), Some(mac)) if tag.len() == 32 => {
            let mut tag_arr = [0u8; 32];
            tag_arr.copy_from_slice(&tag);
            let sealed = Head {
                seq: sealed_seq,
                tag: tag_arr,
            };
            if !crypto::mac_eq(&head_mac(keys.mac, &sealed), &mac) {
                return report(events, Problem::HeadSealInvalid);
            }
            if last_seq < sealed_seq {
                return report(
                    events,
                    Problem::TailDeleted {
                        last_seq,
                        sealed_seq,
                    },
                );
            }
            if last_seq > sealed_seq {
                return report(
                    events,
                    Problem::RowsAfterHead {
                        sealed_seq,
                        last_seq,
                    },
                );
            }
            if last.is_some_and(|h| !crypto::mac_eq(&h.tag, &sealed.tag)) {
                return report(events, Problem::HeadSealInvalid);
            }
        }
        (None, None) if sealed_seq == 0 => {
            if last_seq > 0 {
                return report(
                    events,
                    Problem::RowsAfterHead {
                        sealed_seq: 0,
                        last_seq,
                    },
                );
            }
        }
        _ => return report(events, Problem::HeadSealInvalid),
    }

    match anchor {
        None if last_seq > 0 => return report(events, Problem::AnchorMissing),
        None => {}
        Some(anchor) => {
            if !anchor.is_authentic(keys.mac) {
                return report(events, Problem::AnchorInvalid);
            }
            if anchor.head.seq > last_seq {
                return report(
                    events,
                    Problem::RolledBack {
                        database_seq: last_seq,
                        anchor_seq: anchor.head.seq,
                    },
                );
            }
            if anchor.head.seq > 0
                && !anchor_row_tag.is_some_and(|t| crypto::mac_eq(&t, &anchor.head.tag))
            {
                return report(
                    events,
                    Problem::AnchorMismatch {
                        seq: anchor.head.seq,
                    },
                );
            }
        }
    }
    Ok(VerifyReport {
        events,
        problem: None,
    })
}

/// Reads the sealed head from `vault_meta` without checking it.
pub fn sealed_head(tx: &Transaction<'_>) -> Result<Option<Head>> {
    let (seq, tag): (i64, Option<Vec<u8>>) = tx.query_row(
        "SELECT audit_head_seq, audit_head_tag FROM vault_meta WHERE id = 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(match tag {
        Some(tag) if tag.len() == 32 && seq > 0 => {
            let mut t = [0u8; 32];
            t.copy_from_slice(&tag);
            Some(Head { seq, tag: t })
        }
        _ => None,
    })
}

/// The tag stored for `seq`, if the row exists.
pub fn tag_at(tx: &Transaction<'_>, seq: i64) -> Result<Option<Vec<u8>>> {
    Ok(tx
        .query_row("SELECT tag FROM audit_log WHERE seq = ?1", [seq], |r| {
            r.get(0)
        })
        .optional()?)
}

/// Filters for [`list`]. All bounds are optional; `until` is exclusive.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub action: Option<String>,
    pub credential_id: Option<i64>,
    pub limit: Option<u32>,
    /// Return events with seq below this (for paging backwards).
    pub before_seq: Option<i64>,
}

/// One decrypted event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub seq: i64,
    pub at: String,
    pub action: String,
    pub credential_id: Option<i64>,
    pub details: serde_json::Value,
}

/// Newest first, filtered with bound parameters only.
pub fn list(tx: &Transaction<'_>, keys: &AuditKeys<'_>, filter: &Filter) -> Result<Vec<Event>> {
    let mut stmt = tx.prepare(
        "SELECT seq, at, action, credential_id, details FROM audit_log
         WHERE (?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR at < ?2)
           AND (?3 IS NULL OR action = ?3) AND (?4 IS NULL OR credential_id = ?4)
           AND (?5 IS NULL OR seq < ?5)
         ORDER BY seq DESC LIMIT ?6",
    )?;
    let limit = filter.limit.map_or(-1i64, i64::from);
    let mut rows = stmt.query(params![
        filter.since.map(format_time),
        filter.until.map(format_time),
        filter.action,
        filter.credential_id,
        filter.before_seq,
        limit
    ])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(0)?;
        let blob: Vec<u8> = row.get(4)?;
        let plain = crypto::open(keys.field, &details_aad(seq), &blob)?;
        let details = serde_json::from_slice(plain.expose())
            .map_err(|_| Error::Integrity(format!("audit event {seq} has unreadable details")))?;
        out.push(Event {
            seq,
            at: row.get(1)?,
            action: row.get(2)?,
            credential_id: row.get(3)?,
            details,
        });
    }
    Ok(out)
}

//! The head anchor: the last known `(seq, tag)` of the audit chain, MACed with the audit key, in a small file
//! beside the database. The database alone cannot tell that an older copy of itself was put back; the anchor
//! can. It is written after each commit, so it may lag the database after a crash (harmless) but is never
//! ahead of it unless the database was rolled back.

use std::io::Write;
use std::path::Path;

use super::{head_mac, Head};
use crate::crypto::{self, Key};
use crate::error::{Error, Result};

pub const ANCHOR_FILE: &str = "audit.head";
/// The anchor of a data-key rotation, written before its commit and renamed over [`ANCHOR_FILE`] after it: a
/// rotation re-MACs the whole chain under a new key, so the old anchor can no longer be checked once it has
/// committed. At unlock, a pending anchor that agrees with the database is adopted, any other is discarded.
pub const PENDING_ANCHOR_FILE: &str = "audit.head.pending";
const MAGIC: &[u8; 4] = b"TVH1";
const LEN: usize = 4 + 8 + 32 + 32;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub head: Head,
    mac: [u8; 32],
}

impl Anchor {
    pub fn new(key: &Key, head: Head) -> Anchor {
        Anchor {
            head,
            mac: head_mac(key, &head),
        }
    }

    pub fn is_authentic(&self, key: &Key) -> bool {
        crypto::mac_eq(&head_mac(key, &self.head), &self.mac)
    }

    /// Reads the anchor; `Ok(None)` when there is no file, an error when it cannot be parsed.
    pub fn read(dir: &Path) -> Result<Option<Anchor>> {
        Anchor::read_file(dir, ANCHOR_FILE)
    }

    /// Reads the pending anchor of an interrupted rotation, if there is one.
    pub fn read_pending(dir: &Path) -> Result<Option<Anchor>> {
        Anchor::read_file(dir, PENDING_ANCHOR_FILE)
    }

    /// Moves the pending anchor over the anchor (one atomic rename).
    pub fn promote_pending(dir: &Path) -> Result<()> {
        std::fs::rename(dir.join(PENDING_ANCHOR_FILE), dir.join(ANCHOR_FILE))
            .map_err(Error::io("cannot move the pending audit anchor into place"))
    }

    pub fn discard_pending(dir: &Path) {
        let _ = std::fs::remove_file(dir.join(PENDING_ANCHOR_FILE));
    }

    fn read_file(dir: &Path, name: &str) -> Result<Option<Anchor>> {
        let path = dir.join(name);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(format!("cannot read {}", path.display()))(e)),
        };
        Anchor::parse(&bytes)
            .map(Some)
            .map_err(|_| Error::Integrity(format!("{} is damaged", path.display())))
    }

    /// Reads the file's bytes; an error when they are not an anchor's layout (the MAC is not checked here).
    pub fn parse(bytes: &[u8]) -> Result<Anchor> {
        if bytes.len() != LEN || &bytes[..4] != MAGIC {
            return Err(Error::Integrity("the audit anchor is damaged".into()));
        }
        let mut seq = [0u8; 8];
        seq.copy_from_slice(&bytes[4..12]);
        let mut tag = [0u8; 32];
        tag.copy_from_slice(&bytes[12..44]);
        let mut mac = [0u8; 32];
        mac.copy_from_slice(&bytes[44..76]);
        Ok(Anchor {
            head: Head {
                seq: i64::from_be_bytes(seq),
                tag,
            },
            mac,
        })
    }

    /// Overwrites the anchor in place with one 76-byte write at offset 0 (a single sector, so it is never
    /// torn). It is not fsynced: it is written after the database commit was made durable, so after a power
    /// cut it can only lag the database, which verification tolerates, never lead it.
    pub fn write(&self, dir: &Path) -> Result<()> {
        self.write_file(dir, ANCHOR_FILE)
    }

    /// Writes the pending anchor of a rotation (see [`PENDING_ANCHOR_FILE`]), synced before the commit.
    pub fn write_pending(&self, dir: &Path) -> Result<()> {
        self.write_file(dir, PENDING_ANCHOR_FILE)?;
        let path = dir.join(PENDING_ANCHOR_FILE);
        std::fs::File::open(&path)
            .and_then(|f| f.sync_all())
            .map_err(Error::io(format!("cannot sync {}", path.display())))
    }

    fn write_file(&self, dir: &Path, name: &str) -> Result<()> {
        let mut bytes = [0u8; LEN];
        bytes[..4].copy_from_slice(MAGIC);
        bytes[4..12].copy_from_slice(&self.head.seq.to_be_bytes());
        bytes[12..44].copy_from_slice(&self.head.tag);
        bytes[44..].copy_from_slice(&self.mac);
        let path = dir.join(name);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let err = |what: &str| Error::io(format!("cannot {what} {}", path.display()));
        let mut file = options.open(&path).map_err(err("open"))?;
        file.write_all(&bytes).map_err(err("write"))?;
        Ok(())
    }
}

//! The clipboard, written from Rust only: a copied secret never passes through the web view.
//!
//! [`ClipboardGuard`] remembers a digest of what it last copied (never the value) and clears the clipboard
//! later, on lock and on quit, but only if the clipboard still holds that value: whatever the user copied
//! since is left alone.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tallyvault::crypto::SecretString;
use zeroize::Zeroize;

/// How long a copied secret may stay on the clipboard.
pub const CLEAR_AFTER: Duration = Duration::from_secs(10);

/// Read and write access to a clipboard holding text.
pub trait ClipboardAccess: Send + Sync {
    fn set_text(&self, text: &str) -> Result<(), String>;
    /// The clipboard's text, if it holds text.
    fn text(&self) -> Option<String>;
    fn clear(&self) -> Result<(), String>;
}

/// The system clipboard, opened on first use (it needs a display).
#[derive(Default)]
pub struct SystemClipboard {
    inner: Mutex<Option<arboard::Clipboard>>,
}

impl SystemClipboard {
    fn with<T>(
        &self,
        f: impl FnOnce(&mut arboard::Clipboard) -> Result<T, arboard::Error>,
    ) -> Result<T, String> {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Some(
                arboard::Clipboard::new()
                    .map_err(|e| format!("the clipboard is not available: {e}"))?,
            );
        }
        match guard.as_mut() {
            Some(clipboard) => f(clipboard).map_err(|e| format!("clipboard error: {e}")),
            None => Err("the clipboard is not available".into()),
        }
    }
}

impl ClipboardAccess for SystemClipboard {
    fn set_text(&self, text: &str) -> Result<(), String> {
        self.with(|c| c.set_text(text))
    }

    fn text(&self) -> Option<String> {
        self.with(|c| c.get_text()).ok()
    }

    fn clear(&self) -> Result<(), String> {
        self.with(|c| c.clear())
    }
}

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

struct Held {
    digest: [u8; 32],
    generation: u64,
}

/// Puts secrets on the clipboard and takes them off again.
pub struct ClipboardGuard {
    access: Arc<dyn ClipboardAccess>,
    held: Mutex<Option<Held>>,
    generation: AtomicU64,
    clear_after: Duration,
}

impl ClipboardGuard {
    pub fn new(access: Arc<dyn ClipboardAccess>, clear_after: Duration) -> ClipboardGuard {
        ClipboardGuard {
            access,
            held: Mutex::new(None),
            generation: AtomicU64::new(0),
            clear_after,
        }
    }

    pub fn clear_after(&self) -> Duration {
        self.clear_after
    }

    /// Copies `secret`; returns the copy's generation, to pass to [`ClipboardGuard::clear_copy`].
    pub fn copy(&self, secret: &SecretString) -> Result<u64, String> {
        self.access.set_text(secret.expose())?;
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        *self.held.lock().unwrap_or_else(|p| p.into_inner()) = Some(Held {
            digest: digest(secret.expose()),
            generation,
        });
        Ok(generation)
    }

    /// Clears the clipboard if copy `generation` is the latest and the clipboard still holds its value.
    pub fn clear_copy(&self, generation: u64) -> bool {
        self.clear_where(|held| held.generation == generation)
    }

    /// Clears the clipboard if it still holds the last value copied (on lock and on quit).
    pub fn clear_now(&self) -> bool {
        self.clear_where(|_| true)
    }

    fn clear_where(&self, applies: impl FnOnce(&Held) -> bool) -> bool {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let Some(current) = held.as_ref().filter(|h| applies(h)) else {
            return false;
        };
        let still_ours = match self.access.text() {
            Some(mut text) => {
                let same = digest(&text) == current.digest;
                text.zeroize();
                same
            }
            None => false,
        };
        *held = None;
        still_ours && self.access.clear().is_ok()
    }
}

#[cfg(test)]
pub mod memory {
    //! An in-memory clipboard for tests.
    use super::ClipboardAccess;
    use std::sync::Mutex;

    #[derive(Default)]
    pub struct MemoryClipboard(pub Mutex<Option<String>>);

    impl ClipboardAccess for MemoryClipboard {
        fn set_text(&self, text: &str) -> Result<(), String> {
            *self.0.lock().unwrap() = Some(text.to_string());
            Ok(())
        }
        fn text(&self) -> Option<String> {
            self.0.lock().unwrap().clone()
        }
        fn clear(&self) -> Result<(), String> {
            *self.0.lock().unwrap() = None;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::memory::MemoryClipboard;
    use super::*;

    fn guard() -> (Arc<MemoryClipboard>, ClipboardGuard) {
        let clipboard = Arc::new(MemoryClipboard::default());
        let guard = ClipboardGuard::new(clipboard.clone(), CLEAR_AFTER);
        (clipboard, guard)
    }

    #[test]
    fn clears_its_own_copy() {
        let (clipboard, guard) = guard();
        let generation = guard.copy(&SecretString::new("sk-ant-1".into())).unwrap();
        assert!(guard.clear_copy(generation));
        assert_eq!(
            clipboard.text(),
            None,
            "the copied secret must be gone after clearing"
        );
    }

    #[test]
    fn leaves_what_the_user_copied_since() {
        let (clipboard, guard) = guard();
        let generation = guard.copy(&SecretString::new("sk-ant-1".into())).unwrap();
        clipboard.set_text("grocery list").unwrap();
        assert!(!guard.clear_copy(generation));
        assert_eq!(clipboard.text().as_deref(), Some("grocery list"));
    }

    #[test]
    fn an_older_timer_does_not_clear_a_newer_copy() {
        let (clipboard, guard) = guard();
        let first = guard.copy(&SecretString::new("sk-ant-1".into())).unwrap();
        guard.copy(&SecretString::new("sk-ant-2".into())).unwrap();
        assert!(!guard.clear_copy(first));
        assert_eq!(clipboard.text().as_deref(), Some("sk-ant-2"));
        assert!(guard.clear_now(), "lock clears the newest copy");
        assert_eq!(clipboard.text(), None);
    }
}

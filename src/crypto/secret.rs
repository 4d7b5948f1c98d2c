//! Types that hold secrets. None derives `Clone`, `Serialize` or a revealing `Debug`; all zeroize on drop;
//! the contents are reached only through deliberately named accessors.

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// A 256-bit key.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Key(Box<[u8; 32]>);

impl Key {
    pub(crate) fn zero() -> Key {
        Key(Box::new([0u8; 32]))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Key {
        let mut bytes = Zeroizing::new(bytes);
        let mut key = Key::zero();
        key.0.copy_from_slice(bytes.as_ref());
        bytes.zeroize();
        key
    }

    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }

    pub(crate) fn expose_mut(&mut self) -> &mut [u8; 32] {
        &mut self.0
    }

    /// A copy that zeroizes independently (explicit, because keys are not `Clone`).
    pub fn duplicate(&self) -> Key {
        Key::from_bytes(*self.0)
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(<redacted>)")
    }
}

/// Decrypted bytes.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    pub fn new(bytes: Vec<u8>) -> SecretBytes {
        SecretBytes(bytes)
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Converts to a string if the bytes are UTF-8, without leaving a copy behind.
    pub fn into_string(mut self) -> Option<SecretString> {
        let bytes = std::mem::take(&mut self.0);
        match String::from_utf8(bytes) {
            Ok(s) => Some(SecretString::new(s)),
            Err(e) => {
                let mut bytes = e.into_bytes();
                bytes.zeroize();
                None
            }
        }
    }
}

impl std::fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretBytes(<redacted {} bytes>)", self.0.len())
    }
}

/// A password or API key.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(value: String) -> SecretString {
        SecretString(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        SecretString(value)
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}

//! Key derivation, authenticated encryption and the secret types that hold key material.
//!
//! This module owns every use of a primitive: PBKDF2-HMAC-SHA256 for the master password, HKDF-SHA256 for
//! sub-keys, AES-256-GCM for fields and HMAC-SHA256 for the audit chain, all from RustCrypto. Nonces are
//! generated inside [`seal`] and can never be passed in. Secret types zeroize on drop, print as redacted, and
//! deliberately implement neither `Clone` nor `Serialize`.

mod secret;

use aes_gcm::aead::rand_core::RngCore;
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

pub use secret::{Key, SecretBytes, SecretString};

/// The only key-derivation algorithm a vault can name.
pub const KDF_ALGORITHM: &str = "pbkdf2-hmac-sha256";
/// OWASP's 2023 figure for PBKDF2-HMAC-SHA256; the code refuses to go under it.
pub const KDF_MIN_ITERATIONS: u32 = 600_000;
pub const KDF_DEFAULT_ITERATIONS: u32 = 600_000;
/// The most a stored header may ask for (about 17 times the default). The parameters come from the database
/// or a backup file, which an attacker may have edited: without a ceiling, a header asking for 2^31 rounds
/// would make every unlock or restore run for hours.
pub const KDF_MAX_ITERATIONS: u32 = 10_000_000;
pub const SALT_LEN: usize = 16;

/// Current field-blob layout: `version (1) ‖ nonce (12) ‖ ciphertext ‖ GCM tag (16)`.
pub const BLOB_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Which iteration counts a caller accepts. Production code uses [`KdfPolicy::default`]; tests may use a
/// cheap policy, which only exists in builds with the `test-kdf` feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfPolicy {
    min_iterations: u32,
    new_vault_iterations: u32,
}

impl Default for KdfPolicy {
    fn default() -> Self {
        KdfPolicy {
            min_iterations: KDF_MIN_ITERATIONS,
            new_vault_iterations: KDF_DEFAULT_ITERATIONS,
        }
    }
}

impl KdfPolicy {
    /// A policy that creates and opens vaults with `iterations` rounds. Test builds only.
    #[cfg(any(test, feature = "test-kdf"))]
    pub fn insecure_for_tests(iterations: u32) -> KdfPolicy {
        KdfPolicy {
            min_iterations: 1,
            new_vault_iterations: iterations.max(1),
        }
    }

    pub fn new_vault_iterations(&self) -> u32 {
        self.new_vault_iterations
    }

    /// Refuses parameters this policy does not accept.
    pub fn check(&self, params: &KdfParams) -> Result<()> {
        if params.algorithm != KDF_ALGORITHM {
            return Err(Error::UnsupportedFormat(format!(
                "key derivation algorithm {:?} is not supported",
                params.algorithm
            )));
        }
        if params.iterations < self.min_iterations {
            return Err(Error::KdfTooWeak {
                iterations: params.iterations,
                minimum: self.min_iterations,
            });
        }
        if params.iterations > KDF_MAX_ITERATIONS {
            return Err(Error::Integrity(format!(
                "the key derivation asks for {} iterations, more than the {KDF_MAX_ITERATIONS} Tallyvault accepts \
                 (damaged or edited parameters)",
                params.iterations
            )));
        }
        if params.salt.len() != SALT_LEN {
            return Err(Error::Integrity(
                "the vault's salt has the wrong length".into(),
            ));
        }
        Ok(())
    }
}

/// The parameters stored with a vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KdfParams {
    pub algorithm: String,
    pub iterations: u32,
    pub salt: Vec<u8>,
}

impl KdfParams {
    /// Fresh parameters: the policy's iteration count and a random 16-byte salt.
    pub fn generate(policy: &KdfPolicy) -> KdfParams {
        let mut salt = vec![0u8; SALT_LEN];
        OsRng.fill_bytes(&mut salt);
        KdfParams {
            algorithm: KDF_ALGORITHM.to_string(),
            iterations: policy.new_vault_iterations,
            salt,
        }
    }

    /// Bytes that bind these parameters into associated data.
    pub fn binding(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(self.algorithm.as_bytes());
        out.push(0);
        out.extend_from_slice(&self.iterations.to_be_bytes());
        out.extend_from_slice(&self.salt);
        out
    }
}

/// Master password → key-encryption key. Refuses an empty password and parameters the policy rejects.
pub fn derive_kek(password: &SecretString, params: &KdfParams, policy: &KdfPolicy) -> Result<Key> {
    policy.check(params)?;
    if password.expose().is_empty() {
        return Err(Error::EmptyPassword);
    }
    let mut key = Key::zero();
    pbkdf2::pbkdf2_hmac::<Sha256>(
        password.expose().as_bytes(),
        &params.salt,
        params.iterations,
        key.expose_mut(),
    );
    Ok(key)
}

/// A fresh random 256-bit key.
pub fn random_key() -> Key {
    let mut key = Key::zero();
    OsRng.fill_bytes(key.expose_mut());
    key
}

/// HKDF-SHA256 sub-key of `master` for one purpose.
pub fn subkey(master: &Key, purpose: &str) -> Key {
    let hk = hkdf::Hkdf::<Sha256>::new(Some(b"tallyvault/v1"), master.expose());
    let mut key = Key::zero();
    // 32 bytes is always a valid HKDF-SHA256 output length.
    if hk.expand(purpose.as_bytes(), key.expose_mut()).is_err() {
        unreachable!("HKDF-SHA256 can always produce 32 bytes");
    }
    key
}

/// Encrypts `plaintext` under `key` with a fresh random nonce, returning a versioned blob.
pub fn seal(key: &Key, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let cipher = Aes256Gcm::new(key.expose().into());
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let full_aad = blob_aad(BLOB_VERSION, aad);
    // AES-GCM encryption only fails for inputs beyond 64 GiB, which never reach this function.
    let ciphertext = match cipher.encrypt(
        &nonce,
        Payload {
            msg: plaintext,
            aad: &full_aad,
        },
    ) {
        Ok(ct) => ct,
        Err(_) => unreachable!("AES-256-GCM encryption of an in-memory buffer cannot fail"),
    };
    let mut blob = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
    blob.push(BLOB_VERSION);
    blob.extend_from_slice(&nonce);
    blob.extend_from_slice(&ciphertext);
    blob
}

/// Decrypts a blob made by [`seal`] with the same key and associated data.
pub fn open(key: &Key, aad: &[u8], blob: &[u8]) -> Result<SecretBytes> {
    let (&version, rest) = blob
        .split_first()
        .ok_or_else(|| Error::Integrity("an encrypted field is empty".into()))?;
    if version != BLOB_VERSION {
        return Err(Error::Integrity(format!(
            "an encrypted field has unknown format version {version}"
        )));
    }
    if rest.len() < NONCE_LEN + TAG_LEN {
        return Err(Error::Integrity("an encrypted field is truncated".into()));
    }
    let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
    let cipher = Aes256Gcm::new(key.expose().into());
    let full_aad = blob_aad(version, aad);
    cipher
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: &full_aad,
            },
        )
        .map(SecretBytes::new)
        .map_err(|_| {
            Error::Integrity("an encrypted field failed authentication (tampered or moved)".into())
        })
}

fn blob_aad(version: u8, aad: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(aad.len() + 16);
    out.extend_from_slice(b"tallyvault\0");
    out.push(version);
    out.extend_from_slice(aad);
    out
}

/// Associated data for a field stored in `table.column` of row `row_id`: moving a blob to another row or
/// column makes it fail authentication.
pub fn field_aad(table: &str, column: &str, row_id: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(table.len() + column.len() + 10);
    out.extend_from_slice(table.as_bytes());
    out.push(0);
    out.extend_from_slice(column.as_bytes());
    out.push(0);
    out.extend_from_slice(&row_id.to_be_bytes());
    out
}

/// HMAC-SHA256 of the concatenated parts.
pub fn hmac(key: &Key, parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.expose())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Constant-time equality of two MACs.
pub fn mac_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Random bytes for salts and the like.
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    OsRng.fill_bytes(&mut out);
    out
}

#[cfg(test)]
mod tests;

//! The core's error type. Messages are written for the person at the keyboard and never contain secrets:
//! nothing here formats a password, a key or a decrypted value.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// One uniform message, whatever went wrong while unwrapping the data key.
    #[error("wrong password")]
    WrongPassword,
    #[error("the password must not be empty")]
    EmptyPassword,
    #[error("the vault is locked")]
    Locked,
    #[error("no vault in {0}: run `tallyvault init` first")]
    NoVault(PathBuf),
    #[error("a vault already exists in {0}")]
    VaultExists(PathBuf),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Stored data failed authentication or does not have the expected layout: tampering or corruption.
    #[error("integrity error: {0}")]
    Integrity(String),
    #[error(
        "key derivation parameters refused: {iterations} PBKDF2 iterations is below the minimum of {minimum}"
    )]
    KdfTooWeak { iterations: u32, minimum: u32 },
    #[error("unsupported format: {0}")]
    UnsupportedFormat(String),
    #[error(
        "the database was written by a newer Tallyvault (schema version {found}; this build knows up to \
         {supported}); upgrade Tallyvault to open it"
    )]
    NewerDatabase { found: i64, supported: i64 },
    /// A chart could not be drawn or encoded.
    #[error("chart error: {0}")]
    Chart(String),
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("database pool error: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let context = context.into();
        move |source| Error::Io { context, source }
    }

    /// The small set of codes a front end acts on.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::WrongPassword => ErrorCode::WrongPassword,
            Error::Locked => ErrorCode::Locked,
            Error::NotFound(_) | Error::NoVault(_) => ErrorCode::NotFound,
            Error::EmptyPassword | Error::InvalidInput(_) | Error::VaultExists(_) => {
                ErrorCode::InvalidInput
            }
            _ => ErrorCode::Internal,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Locked,
    WrongPassword,
    NotFound,
    InvalidInput,
    ProviderUnavailable,
    Internal,
}

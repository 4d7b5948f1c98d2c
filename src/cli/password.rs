//! Where the master password comes from: `--password-file`, `TALLYVAULT_PASSWORD`, or a terminal prompt.

use std::io::{IsTerminal, Read};
use std::path::Path;

use crate::crypto::{KdfPolicy, SecretString};
use crate::error::{Error, Result};

fn first_line(mut text: String) -> SecretString {
    let end = text.find(['\n', '\r']).unwrap_or(text.len());
    let line = SecretString::new(text[..end].to_string());
    zeroize::Zeroize::zeroize(&mut text);
    line
}

/// The current master password.
pub fn current(password_file: Option<&Path>) -> Result<SecretString> {
    if let Some(path) = password_file {
        let text = std::fs::read_to_string(path)
            .map_err(Error::io(format!("cannot read {}", path.display())))?;
        return Ok(first_line(text));
    }
    if let Ok(value) = std::env::var("TALLYVAULT_PASSWORD") {
        return Ok(SecretString::new(value));
    }
    prompt("Master password: ")
}

/// A new master password: `TALLYVAULT_NEW_PASSWORD`, or asked twice at a terminal.
pub fn new_password(env_var: &str) -> Result<SecretString> {
    if let Ok(value) = std::env::var(env_var) {
        return Ok(SecretString::new(value));
    }
    let first = prompt("New master password: ")?;
    let second = prompt("Repeat it: ")?;
    if first.expose() != second.expose() {
        return Err(Error::InvalidInput("the two passwords differ".into()));
    }
    Ok(first)
}

fn prompt(text: &str) -> Result<SecretString> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::InvalidInput(
            "no password given: set TALLYVAULT_PASSWORD, pass --password-file, or run in a terminal".into(),
        ));
    }
    rpassword::prompt_password(text)
        .map(SecretString::new)
        .map_err(Error::io("cannot read the password"))
}

/// A secret from standard input: hidden prompt at a terminal, else everything piped in (trailing newline
/// removed). Never from the command line, where other users can see it.
pub fn secret_from_stdin(what: &str) -> Result<SecretString> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return prompt(&format!("{what}: "));
    }
    let mut text = String::new();
    stdin
        .lock()
        .read_to_string(&mut text)
        .map_err(Error::io("cannot read standard input"))?;
    while text.ends_with(['\n', '\r']) {
        text.pop();
    }
    Ok(SecretString::new(text))
}

/// The KDF policy: the real one, or (test builds only) a cheap one when TALLYVAULT_INSECURE_TEST_KDF is set.
pub fn kdf_policy() -> KdfPolicy {
    #[cfg(feature = "test-kdf")]
    if let Some(iterations) = std::env::var("TALLYVAULT_INSECURE_TEST_KDF")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return KdfPolicy::insecure_for_tests(iterations);
    }
    KdfPolicy::default()
}

//! Approved destinations of provider keys. An account that polls a base URL other than its provider's own
//! sends the vault's key there, so that URL is approved only through the unlocked vault (the CLI asks for the
//! master password): the approval is a field blob in `provider_accounts.base_url_seal` over the account's
//! provider, credential and base URL, bound to its row, written in the same transaction as its audit event.
//! Before a key is read for an account, [`Vault::destination_refusal`] checks it, so a base URL (or a
//! credential, or a provider) edited in the database without the key is never sent a key.
//!
//! Accounts on their provider's own URL (`base_url` NULL) need no approval: the key only goes to its provider.

use rusqlite::{params, OptionalExtension, Transaction};
use serde_json::json;

use super::{action, Keys, Vault};
use crate::crypto::{self, Key};
use crate::error::Result;
use crate::providers::accounts::{self, Account, NewAccount};
use crate::providers::destination;

const TABLE: &str = "provider_accounts";
const COLUMN: &str = "base_url_seal";

/// What an approval vouches for.
fn approved_text(provider: &str, credential_id: i64, base_url: &str) -> Vec<u8> {
    format!("tallyvault-destination-v1\0{provider}\0{credential_id}\0{base_url}").into_bytes()
}

fn seal(key: &Key, id: i64, plaintext: &[u8]) -> Vec<u8> {
    crypto::seal(key, &crypto::field_aad(TABLE, COLUMN, id), plaintext)
}

fn open(key: &Key, id: i64, blob: &[u8]) -> Result<crypto::SecretBytes> {
    crypto::open(key, &crypto::field_aad(TABLE, COLUMN, id), blob)
}

/// Writes the approval of the account's current provider, credential and base URL (none without a base URL).
fn approve(tx: &Transaction<'_>, key: &Key, account: &Account) -> Result<()> {
    let blob = account.base_url.as_deref().map(|url| {
        seal(
            key,
            account.id,
            &approved_text(&account.provider, account.credential_id, url),
        )
    });
    tx.execute(
        "UPDATE provider_accounts SET base_url_seal = ?2 WHERE id = ?1",
        params![account.id, blob],
    )?;
    Ok(())
}

fn details(account: &Account, previous: Option<&str>) -> serde_json::Value {
    json!({
        "account": account.id,
        "provider": account.provider,
        "credential": account.credential_label,
        "base_url": account.base_url,
        "host": account.base_url.as_deref().map(destination::host_of),
        "previous_base_url": previous,
    })
}

/// Re-encrypts every approval from `old` to `new` (data-key rotation).
pub(super) fn reencrypt_all(tx: &Transaction<'_>, old: &Key, new: &Key) -> Result<usize> {
    let rows: Vec<(i64, Vec<u8>)> = {
        let mut stmt = tx.prepare(
            "SELECT id, base_url_seal FROM provider_accounts WHERE base_url_seal IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (id, blob) in &rows {
        // An approval that no longer opens stays unapproved: rotation must not vouch for it.
        let blob = match open(old, *id, blob) {
            Ok(plain) => Some(seal(new, *id, plain.expose())),
            Err(_) => None,
        };
        tx.execute(
            "UPDATE provider_accounts SET base_url_seal = ?2 WHERE id = ?1",
            params![id, blob],
        )?;
    }
    Ok(rows.len())
}

impl Vault {
    /// Adds a provider account, approving its base URL if it has one. Audited as `provider.account_add`.
    pub fn add_provider_account(&self, new: &NewAccount, now: &str) -> Result<Account> {
        let new = accounts::validate(new)?;
        self.audited_with(|tx, keys: &Keys| {
            let id = accounts::insert_tx(tx, &new, now)?;
            let account = accounts::find_tx(tx, id)?;
            approve(tx, &keys.field, &account)?;
            let details = details(&account, None);
            Ok((
                account,
                action::PROVIDER_ACCOUNT_ADD.to_string(),
                Some(new.credential_id),
                details,
            ))
        })
    }

    /// Points an account at another base URL (`None`: its provider's own) and approves it. Audited as
    /// `provider.base_url_change`, with the old and new URL. Also the way to approve a URL written without the
    /// vault (an older version, or the database edited by hand).
    pub fn set_provider_base_url(
        &self,
        account_id: i64,
        base_url: Option<&str>,
    ) -> Result<Account> {
        let base_url = base_url.map(destination::check_base_url).transpose()?;
        self.audited_with(|tx, keys: &Keys| {
            let before = accounts::find_tx(tx, account_id)?;
            tx.execute(
                "UPDATE provider_accounts SET base_url = ?2 WHERE id = ?1",
                params![account_id, base_url],
            )?;
            let account = accounts::find_tx(tx, account_id)?;
            approve(tx, &keys.field, &account)?;
            let details = details(&account, before.base_url.as_deref());
            Ok((
                account,
                action::PROVIDER_BASE_URL_CHANGE.to_string(),
                Some(before.credential_id),
                details,
            ))
        })
    }

    /// Why the account's key must not be sent to its base URL, or `None` when it may: the provider's own URL,
    /// or a custom one whose approval opens and names the account's provider, credential and URL as they are.
    /// The URL is checked against the https rule again, whatever was approved.
    pub fn destination_refusal(&self, account: &Account) -> Result<Option<String>> {
        let Some(base_url) = account.base_url.as_deref() else {
            return Ok(None);
        };
        if let Err(e) = destination::check_base_url(base_url) {
            return Ok(Some(format!("not polled: {e}")));
        }
        let unapproved = format!(
            "not polled: the base URL of account {} was not approved with the master password; check it \
             and approve it with `tallyvault providers set-url {} URL`",
            account.id, account.id
        );
        self.with_keys(|keys| {
            let blob: Option<Vec<u8>> = self.store.read(|tx| {
                Ok(tx
                    .query_row(
                        "SELECT base_url_seal FROM provider_accounts WHERE id = ?1",
                        [account.id],
                        |r| r.get(0),
                    )
                    .optional()?
                    .flatten())
            })?;
            let Some(blob) = blob else {
                return Ok(Some(unapproved));
            };
            let expected = approved_text(&account.provider, account.credential_id, base_url);
            match open(&keys.field, account.id, &blob) {
                Ok(plain) if crypto::mac_eq(plain.expose(), &expected) => Ok(None),
                // Another account's, an older URL's, or a blob that fails authentication.
                _ => Ok(Some(unapproved)),
            }
        })
    }
}

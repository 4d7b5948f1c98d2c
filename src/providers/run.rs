//! Poll runs over several accounts with keys from an unlocked vault: each credential is read (and audited)
//! once per run, even when accounts share it, and each account's state is read afresh before it is polled (an
//! account whose shared key was just refused is not tried again). The CLI's `poll` and the desktop's "Poll
//! now" and scheduler call this. An account with a custom base URL is polled only when the vault approved that
//! URL ([`Vault::destination_refusal`]); otherwise its key is not even read.

use std::collections::HashMap;
use std::sync::Arc;

use super::accounts::{self, Account};
use super::http::{Timeouts, UreqTransport};
use super::poll::{Plan, PollPolicy, PollReport, Poller};
use crate::crypto::SecretString;
use crate::error::Result;
use crate::pricing::PriceTable;
use crate::store::Store;
use crate::vault::{CredentialRef, Purpose, Vault};

/// A poller over the network (each provider's base URL, or the account's own), with today's prices.
pub fn network_poller(store: &Store) -> Result<Poller> {
    Ok(Poller::new(
        store.clone(),
        Arc::new(UreqTransport::new(Timeouts::default())),
        Arc::new(PriceTable::load(store)?),
        PollPolicy::default(),
        chrono::Utc::now().timestamp_millis(),
    ))
}

/// Keys read during one run, by credential id.
pub type RunKeys = HashMap<i64, SecretString>;

/// One run of one account.
pub async fn poll_account(
    vault: &Vault,
    poller: &Poller,
    keys: &mut RunKeys,
    account: &Account,
    plan: Plan,
) -> Result<PollReport> {
    let account = accounts::find(&poller.store, account.id)?;
    if account.credential_invalid.is_some() {
        // Poll reports the stop without a request; no key is read.
        let none = SecretString::new(String::new());
        return poller.poll(&account, &none, plan).await;
    }
    if let Some(reason) = vault.destination_refusal(&account)? {
        // No key is read for a base URL the vault did not approve.
        tracing::warn!(
            target: "tallyvault::providers",
            account = account.id,
            "base URL not approved: account not polled"
        );
        let now = crate::audit::format_time(chrono::Utc::now());
        accounts::record_refusal(&poller.store, account.id, &reason, &now)?;
        return Ok(PollReport {
            account_id: account.id,
            provider: account.provider.clone(),
            stopped: Some(reason),
            ..PollReport::default()
        });
    }
    let secret = match keys.entry(account.credential_id) {
        std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
        std::collections::hash_map::Entry::Vacant(e) => {
            e.insert(vault.read_secret(&CredentialRef::Id(account.credential_id), Purpose::Use)?)
        }
    };
    poller.poll(&account, secret, plan).await
}

/// One run of each of `list`, in order.
pub async fn poll_accounts(
    vault: &Vault,
    poller: &Poller,
    list: &[Account],
    plan: impl Fn(&Account) -> Plan,
) -> Result<Vec<PollReport>> {
    let mut reports = Vec::with_capacity(list.len());
    let mut keys = RunKeys::new();
    for account in list {
        reports.push(poll_account(vault, poller, &mut keys, account, plan(account)).await?);
    }
    Ok(reports)
}

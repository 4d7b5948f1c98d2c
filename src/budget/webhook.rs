//! The optional alert webhook: a Slack-compatible JSON POST (`{"text": ...}`), retried with exponential backoff
//! on connection failures, 429 and 5xx. Its URL is a secret (a Slack webhook URL is a bearer token), so it
//! lives in the vault as a credential and is read only through the audited `Purpose::Use`. It is never put in
//! an error, a log line or `Debug` output: failures are described by kind ("HTTP 500", "connection failed").

use std::time::Duration;

use rusqlite::params;
use serde::Serialize;
use serde_json::json;

use super::alerts::Alert;
use crate::crypto::SecretString;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::vault::{self, CredentialRef, NewCredential, Provider, Purpose, Vault};

/// The label of the vault credential that holds the webhook URL.
pub const WEBHOOK_LABEL: &str = "tallyvault-alert-webhook";

/// How often and how patiently a delivery is tried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            first_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            timeout: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `n + 1` (n from 1): doubling, capped.
    pub fn backoff(&self, n: u32) -> Duration {
        let factor = 1u32.checked_shl(n.saturating_sub(1)).unwrap_or(u32::MAX);
        self.first_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// Why a delivery failed. Never holds the URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("webhook delivery failed after {attempts} attempt(s): {reason}")]
pub struct DeliveryFailure {
    pub attempts: u32,
    pub reason: String,
}

impl From<DeliveryFailure> for Error {
    fn from(failure: DeliveryFailure) -> Error {
        Error::Io {
            context: "alert webhook".into(),
            source: std::io::Error::other(failure),
        }
    }
}

/// A description of a transport error without anything from the request (ureq's own messages may quote it).
fn describe(error: &ureq::Error) -> (String, bool) {
    match error {
        ureq::Error::StatusCode(code) => (format!("HTTP {code}"), *code == 429 || *code >= 500),
        ureq::Error::Timeout(_) => ("timed out".into(), true),
        ureq::Error::HostNotFound => ("host not found".into(), true),
        ureq::Error::ConnectionFailed => ("connection failed".into(), true),
        ureq::Error::Io(e) => (format!("I/O error ({:?})", e.kind()), true),
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => {
            ("the webhook URL is not valid".into(), false)
        }
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) => {
            ("TLS error".into(), true)
        }
        _ => ("the request failed".into(), true),
    }
}

/// POSTs `body` as JSON to `url`, retrying retryable failures; returns the attempts used.
pub fn post(
    url: &SecretString,
    body: &serde_json::Value,
    policy: &RetryPolicy,
) -> Result<u32, DeliveryFailure> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(policy.timeout))
        .build()
        .into();
    let text = body.to_string();
    let mut reason = String::from("no attempt was made");
    let attempts = policy.attempts.max(1);
    for attempt in 1..=attempts {
        let outcome = agent
            .post(url.expose())
            .header("Content-Type", "application/json")
            .send(text.as_str());
        let retry = match outcome {
            Ok(response) if response.status().is_success() => return Ok(attempt),
            Ok(response) => {
                let code = response.status().as_u16();
                reason = format!("HTTP {code}");
                code == 429 || code >= 500
            }
            Err(e) => {
                let (text, retry) = describe(&e);
                reason = text;
                retry
            }
        };
        if !retry {
            return Err(DeliveryFailure {
                attempts: attempt,
                reason,
            });
        }
        if attempt < attempts {
            // The URL is a secret (it authorises posting to the channel): never in a log line.
            tracing::warn!(target: "tallyvault::webhook", attempt, reason = %reason, "webhook delivery retried");
            std::thread::sleep(policy.backoff(attempt));
        }
    }
    Err(DeliveryFailure { attempts, reason })
}

/// Slack's incoming-webhook shape (also read by Mattermost, Discord's /slack endpoint, and most chat tools).
pub fn payload(alert: &Alert) -> serde_json::Value {
    json!({
        "text": format!("Tallyvault alert #{}: {}", alert.id, alert.message),
        "tallyvault": {
            "id": alert.id,
            "kind": alert.kind,
            "budget": alert.budget_name,
            "threshold": alert.threshold,
            "period_start": alert.period_start,
            "spend_nanos": alert.spend.map(|m| m.nanos()),
            "amount_nanos": alert.amount.map(|m| m.nanos()),
        }
    })
}

/// Whether a webhook is configured (metadata only: needs no password).
pub fn is_configured(store: &Store) -> Result<bool> {
    Ok(vault::list_credentials(store)?
        .iter()
        .any(|c| c.label == WEBHOOK_LABEL))
}

fn validate_url(url: &SecretString) -> Result<()> {
    let text = url.expose().trim();
    let ok = (text.starts_with("https://") || text.starts_with("http://"))
        && text.len() > "https://".len()
        && !text.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidInput(
            "the webhook URL must be an http:// or https:// URL".into(),
        ))
    }
}

/// Stores (or replaces) the webhook URL in the vault.
pub fn configure(vault: &Vault, url: SecretString) -> Result<()> {
    validate_url(&url)?;
    if is_configured(vault.store())? {
        vault.rotate_secret(&CredentialRef::Label(WEBHOOK_LABEL.into()), url)?;
    } else {
        vault.add_credential(NewCredential {
            provider: Some(Provider::Other),
            label: WEBHOOK_LABEL.into(),
            secret: url,
            note: Some("alert webhook URL (Slack-compatible)".into()),
            expires_at: None,
        })?;
    }
    Ok(())
}

/// Removes the webhook; pending deliveries are dropped to `none`.
pub fn remove(vault: &Vault) -> Result<()> {
    vault.delete_credential(&CredentialRef::Label(WEBHOOK_LABEL.into()))?;
    vault.store().write(|tx| {
        tx.execute(
            "UPDATE alerts SET webhook_state = 'none' WHERE webhook_state = 'pending'",
            [],
        )?;
        Ok(())
    })
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DeliveryReport {
    pub delivered: Vec<i64>,
    /// Alert id and why.
    pub failed: Vec<(i64, String)>,
}

/// How many alerts wait for the webhook.
pub fn pending_count(store: &Store) -> Result<i64> {
    store.read(|tx| {
        Ok(tx.query_row(
            "SELECT COUNT(*) FROM alerts WHERE webhook_state = 'pending'",
            [],
            |r| r.get(0),
        )?)
    })
}

/// Delivers every pending alert, oldest first. A failed alert is marked `failed` (and can be retried with
/// `retry_failed`); the others are still tried.
pub fn deliver_pending(vault: &Vault, policy: &RetryPolicy) -> Result<DeliveryReport> {
    let store = vault.store();
    let pending: Vec<i64> = store.read(|tx| {
        let mut stmt =
            tx.prepare("SELECT id FROM alerts WHERE webhook_state = 'pending' ORDER BY id")?;
        let ids = stmt.query_map([], |r| r.get(0))?;
        Ok(ids.collect::<rusqlite::Result<_>>()?)
    })?;
    let mut report = DeliveryReport::default();
    if pending.is_empty() {
        return Ok(report);
    }
    let url = vault.read_secret(&CredentialRef::Label(WEBHOOK_LABEL.into()), Purpose::Use)?;
    for id in pending {
        let alert = store.read(|tx| super::alerts::get_in(tx, id))?;
        let (state, attempts) = match post(&url, &payload(&alert), policy) {
            Ok(attempts) => {
                report.delivered.push(id);
                ("delivered", attempts)
            }
            Err(failure) => {
                report.failed.push((id, failure.to_string()));
                ("failed", failure.attempts)
            }
        };
        store.write(|tx| {
            tx.execute(
                "UPDATE alerts SET webhook_state = ?2, webhook_attempts = webhook_attempts + ?3 WHERE id = ?1",
                params![id, state, attempts],
            )?;
            Ok(())
        })?;
    }
    Ok(report)
}

/// Puts failed deliveries back in the queue.
pub fn retry_failed(store: &Store) -> Result<usize> {
    store.write(|tx| {
        Ok(tx.execute(
            "UPDATE alerts SET webhook_state = 'pending' WHERE webhook_state = 'failed'",
            [],
        )?)
    })
}

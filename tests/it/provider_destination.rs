//! Where a provider key may be sent: a custom base URL is approved only through the unlocked vault (audited),
//! an edited row (URL, credential, provider, a moved approval) is never sent a key, `http://` goes to this
//! machine only, and approvals survive a data-key rotation.

use tallyvault::audit::Filter;
use tallyvault::providers::accounts::{self, Account, NewAccount};
use tallyvault::providers::poll::{Plan, PollReport};
use tallyvault::providers::run;
use tallyvault::vault::Vault;
use tallyvault::Error;

use crate::common::{new_credential, password, policy, random_secret, Fixture};
use crate::providers_fake::FakeProvider;
use crate::providers_poll::{poller, NOW};

fn new_account(credential_id: i64, base_url: Option<&str>) -> NewAccount {
    NewAccount {
        provider: "openai".into(),
        credential_id,
        base_url: base_url.map(str::to_string),
        interval_secs: 900,
        backfill_days: 2,
    }
}

const NOW_TEXT: &str = "2026-11-20T12:00:00Z";

fn actions(vault: &Vault) -> Vec<String> {
    vault
        .audit_events(&Filter::default())
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .collect()
}

fn key_reads(vault: &Vault) -> usize {
    actions(vault)
        .iter()
        .filter(|a| *a == "credential.use")
        .count()
}

/// A vault with one credential (`admin`) holding `secret`.
fn vault_with_admin(fx: &Fixture, secret: &str) -> (Vault, i64) {
    let vault = fx.create();
    let id = vault
        .add_credential(new_credential("admin", secret))
        .expect("credential")
        .id;
    (vault, id)
}

async fn poll_once(vault: &Vault, account: &Account) -> PollReport {
    let p = poller(vault.store(), NOW);
    let mut reports = run::poll_accounts(vault, &p, std::slice::from_ref(account), |_| {
        Plan::Scheduled
    })
    .await
    .expect("poll run");
    reports.remove(0)
}

fn refused(report: &PollReport) -> bool {
    report
        .stopped
        .as_deref()
        .is_some_and(|s| s.contains("not approved"))
}

#[tokio::test(flavor = "current_thread")]
async fn a_base_url_approved_by_the_vault_is_polled_and_audited() {
    let fx = Fixture::new();
    let secret = random_secret();
    let (vault, cred) = vault_with_admin(&fx, &secret);
    let fake = FakeProvider::start(&secret, 24);
    let account = vault
        .add_provider_account(&new_account(cred, Some(&fake.url)), NOW_TEXT)
        .expect("add");
    assert_eq!(vault.destination_refusal(&account).expect("check"), None);
    let event = vault
        .audit_events(&Filter::default())
        .expect("audit")
        .into_iter()
        .next()
        .expect("an event");
    assert_eq!(event.action, "provider.account_add");
    assert_eq!(event.details["base_url"], serde_json::json!(fake.url));
    assert_eq!(event.credential_id, Some(cred));

    let report = poll_once(&vault, &account).await;
    assert_eq!(report.stopped, None, "{report:?}");
    assert!(fake.request_count() > 0);
    assert_eq!(key_reads(&vault), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn a_base_url_written_without_the_vault_is_never_sent_the_key() {
    let fx = Fixture::new();
    let secret = random_secret();
    let (vault, cred) = vault_with_admin(&fx, &secret);
    let fake = FakeProvider::start(&secret, 24);
    // What an older version, a malicious import or an edit of the database leaves: a URL and no approval.
    let account =
        accounts::add(vault.store(), &new_account(cred, Some(&fake.url)), NOW_TEXT).expect("add");
    let report = poll_once(&vault, &account).await;
    assert!(refused(&report), "{report:?}");
    assert_eq!(fake.request_count(), 0, "no request may reach the host");
    assert_eq!(key_reads(&vault), 0, "the key must not even be read");
    let stored = accounts::find(vault.store(), account.id).expect("account");
    assert!(
        stored
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("providers set-url")),
        "{stored:?}"
    );

    // Approving it (audited, with the vault unlocked) lets it poll.
    let approved = vault
        .set_provider_base_url(account.id, Some(&fake.url))
        .expect("approve");
    assert_eq!(
        actions(&vault).first().map(String::as_str),
        Some("provider.base_url_change")
    );
    let report = poll_once(&vault, &approved).await;
    assert_eq!(report.stopped, None, "{report:?}");
    assert!(fake.request_count() > 0);
}

#[test]
fn edited_rows_lose_their_approval() {
    let fx = Fixture::new();
    let (vault, cred) = vault_with_admin(&fx, &random_secret());
    let other = vault
        .add_credential(new_credential("other", &random_secret()))
        .expect("credential");
    let first = vault
        .add_provider_account(
            &new_account(cred, Some("https://proxy.example.com/v1")),
            NOW_TEXT,
        )
        .expect("add");
    let second = vault
        .add_provider_account(
            &new_account(cred, Some("https://attacker.example")),
            NOW_TEXT,
        )
        .expect("add");
    let refusal = |id: i64| {
        let account = accounts::find(vault.store(), id).expect("account");
        vault.destination_refusal(&account).expect("check")
    };
    assert_eq!(refusal(first.id), None);
    let raw = fx.raw();
    let edits = [
        "UPDATE provider_accounts SET base_url = 'https://attacker.example' WHERE id = ?1",
        "UPDATE provider_accounts SET provider = 'anthropic' WHERE id = ?1",
        &format!(
            "UPDATE provider_accounts SET credential_id = {} WHERE id = ?1",
            other.id
        ),
        &format!(
            "UPDATE provider_accounts SET base_url_seal = (SELECT base_url_seal FROM provider_accounts WHERE id = {}) WHERE id = ?1",
            second.id
        ),
        "UPDATE provider_accounts SET base_url_seal = NULL WHERE id = ?1",
        "UPDATE provider_accounts SET base_url_seal = x'01' WHERE id = ?1",
    ];
    for edit in edits {
        let before: (String, String, i64, Option<Vec<u8>>) = raw
            .query_row(
                "SELECT provider, base_url, credential_id, base_url_seal FROM provider_accounts WHERE id = ?1",
                [first.id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .expect("row");
        raw.execute(edit, [first.id]).expect("edit");
        let refused = refusal(first.id);
        assert!(
            refused
                .as_deref()
                .is_some_and(|r| r.contains("not approved")),
            "{edit}: {refused:?}"
        );
        raw.execute(
            "UPDATE provider_accounts SET provider = ?2, base_url = ?3, credential_id = ?4, base_url_seal = ?5 WHERE id = ?1",
            rusqlite::params![first.id, before.0, before.1, before.2, before.3],
        )
        .expect("restore");
        assert_eq!(refusal(first.id), None, "restored after {edit}");
    }
    // An http:// URL to another machine is refused even with a valid approval of it (written by hand here).
    raw.execute(
        "UPDATE provider_accounts SET base_url = 'http://proxy.example.com/v1' WHERE id = ?1",
        [first.id],
    )
    .expect("edit");
    assert!(refusal(first.id).is_some_and(|r| r.contains("https://")));
}

#[test]
fn cleartext_http_goes_to_this_machine_only() {
    let fx = Fixture::new();
    let (vault, cred) = vault_with_admin(&fx, &random_secret());
    for bad in [
        "http://proxy.example.com",
        "http://192.168.1.10:8080",
        "ftp://proxy.example.com",
        "https://user:pw@proxy.example.com",
        "https://proxy.example.com/?key=x",
    ] {
        let added = vault.add_provider_account(&new_account(cred, Some(bad)), NOW_TEXT);
        assert!(matches!(added, Err(Error::InvalidInput(_))), "{bad}");
        let added = accounts::add(vault.store(), &new_account(cred, Some(bad)), NOW_TEXT);
        assert!(matches!(added, Err(Error::InvalidInput(_))), "{bad}");
    }
    assert!(accounts::list(vault.store()).expect("list").is_empty());
    let added = vault
        .add_provider_account(&new_account(cred, Some("http://localhost:8787/")), NOW_TEXT)
        .expect("loopback http");
    assert_eq!(added.base_url.as_deref(), Some("http://localhost:8787"));
    let account = vault
        .set_provider_base_url(added.id, None)
        .expect("back to the provider's own");
    assert_eq!(account.base_url, None);
    assert_eq!(vault.destination_refusal(&account).expect("check"), None);
    assert!(matches!(
        vault.set_provider_base_url(added.id, Some("http://example.com")),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn changing_a_base_url_needs_the_unlocked_vault_and_survives_key_rotation() {
    let fx = Fixture::new();
    let (vault, cred) = vault_with_admin(&fx, &random_secret());
    let account = vault
        .add_provider_account(
            &new_account(cred, Some("https://proxy.example.com")),
            NOW_TEXT,
        )
        .expect("add");
    vault
        .rotate_data_key(&password(crate::common::PASSWORD), &policy())
        .expect("rotate");
    assert_eq!(vault.destination_refusal(&account).expect("check"), None);
    vault.lock().expect("lock");
    assert!(matches!(
        vault.set_provider_base_url(account.id, Some("https://attacker.example")),
        Err(Error::Locked)
    ));
    assert!(matches!(
        vault.add_provider_account(
            &new_account(cred, Some("https://attacker.example")),
            NOW_TEXT
        ),
        Err(Error::Locked)
    ));
    assert!(matches!(
        vault.destination_refusal(&account),
        Err(Error::Locked)
    ));
    let vault = fx.unlock().expect("unlock");
    let stored = accounts::find(vault.store(), account.id).expect("account");
    assert_eq!(
        stored.base_url.as_deref(),
        Some("https://proxy.example.com")
    );
    assert_eq!(vault.destination_refusal(&stored).expect("check"), None);
}

-- A provider account's approved destination: a field blob (AES-256-GCM under the field key, bound to this table,
-- column and row) over the account's provider, credential and base URL, written only through the unlocked vault
-- with an audit event. A custom base_url without a matching seal is never sent a key (src/vault/destinations.rs).
ALTER TABLE provider_accounts ADD COLUMN base_url_seal BLOB;

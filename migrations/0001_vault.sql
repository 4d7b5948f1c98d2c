-- The vault header: one row. Key-derivation parameters are stored with the vault and bound, with the format
-- version, into the associated data of the wrapped data key, so editing any of them makes unlocking fail.
CREATE TABLE vault_meta (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    format_version   INTEGER NOT NULL,
    kdf_algorithm    TEXT    NOT NULL,
    kdf_iterations   INTEGER NOT NULL,
    kdf_salt         BLOB    NOT NULL,
    wrapped_data_key BLOB    NOT NULL,
    created_at       TEXT    NOT NULL,
    -- the sealed head of the audit chain: (seq, tag) and an HMAC over both under the audit key
    audit_head_seq   INTEGER NOT NULL DEFAULT 0,
    audit_head_tag   BLOB,
    audit_head_mac   BLOB
);

CREATE TABLE credentials (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    provider     TEXT NOT NULL,
    label        TEXT NOT NULL UNIQUE,
    secret       BLOB NOT NULL,  -- AES-256-GCM field blob
    note         BLOB,           -- AES-256-GCM field blob, optional
    expires_at   TEXT,
    created_at   TEXT NOT NULL,
    rotated_at   TEXT,
    last_used_at TEXT,
    invalid_reason TEXT          -- set when a provider rejected the key (401/403)
);

CREATE TABLE audit_log (
    seq           INTEGER PRIMARY KEY,
    at            TEXT    NOT NULL,  -- RFC 3339 UTC, millisecond precision
    action        TEXT    NOT NULL,
    credential_id INTEGER,           -- no foreign key: the history outlives the credential
    details       BLOB    NOT NULL,  -- AES-256-GCM field blob of a JSON object
    prev_tag      BLOB    NOT NULL,
    tag           BLOB    NOT NULL
);
CREATE INDEX audit_log_action ON audit_log(action, seq);
CREATE INDEX audit_log_credential ON audit_log(credential_id, seq);
CREATE INDEX audit_log_at ON audit_log(at);

-- Failed unlocks cannot be chained (no key is available); they wait here and are folded into the chain at the
-- next successful unlock.
CREATE TABLE failed_unlocks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

// Generated from src-tauri/src/dto.rs by `cargo test -p tallyvault-desktop`. Do not edit.

export type ErrorCode = "locked" | "wrong_password" | "not_found" | "invalid_input" | "provider_unavailable" | "internal";

export type CommandError = { code: ErrorCode, message: string, };

export type VaultStatus = { exists: boolean, unlocked: boolean, dataDir: string, };

export type UnlockOutcome = { 
/**
 * Times (RFC 3339, UTC) of failed attempts since the last successful unlock.
 */
failedAttempts: Array<string>, integrityWarning: string | null, };

export type Credential = { id: number, provider: string, label: string, hasNote: boolean, expiresAt: string | null, createdAt: string, rotatedAt: string | null, lastUsedAt: string | null, invalidReason: string | null, };

export type NewCredentialInput = { label: string, 
/**
 * `None`: detect the provider from the key.
 */
provider: string | null, secret: string, note: string | null, 
/**
 * `YYYY-MM-DD`.
 */
expiresAt: string | null, };

export type RevealedSecret = { value: string, };

export type CopyOutcome = { clearAfterSeconds: number, };

export type ImportedCredential = { line: number, variable: string, id: number, label: string, provider: string, };

export type SkippedLine = { line: number, variable: string | null, reason: string, };

export type ImportOutcome = { imported: Array<ImportedCredential>, skipped: Array<SkippedLine>, };

export type AuditQuery = { since?: string | null, 
/**
 * Exclusive.
 */
until?: string | null, action?: string | null, credentialId?: number | null, 
/**
 * Continue from a previous page's `nextBeforeSeq`.
 */
beforeSeq?: number | null, limit?: number | null, };

export type AuditEvent = { seq: number, at: string, action: string, credentialId: number | null, 
/**
 * The event's decrypted details (labels, providers, counts; never a secret).
 */
details: Record<string, unknown>, };

export type AuditPage = { events: Array<AuditEvent>, 
/**
 * Pass as `beforeSeq` for the next (older) page; `null` when this is the last one.
 */
nextBeforeSeq: number | null, };

export type AuditVerification = { ok: boolean, events: number, 
/**
 * What is wrong, in words, when `ok` is false.
 */
problem: string | null, };

export type Settings = { autoLockMinutes: number, 
/**
 * A backup file name in the user's home directory, to prefill the export form.
 */
suggestedBackupPath: string, };

export type VaultLockedEvent = { reason: string, };

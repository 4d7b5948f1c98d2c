// The audit actions the core records (src/vault/mod.rs `action`), in words.

export const AUDIT_ACTIONS: Record<string, string> = {
  "vault.create": "Vault created",
  "vault.unlock": "Unlocked",
  "vault.unlock_failed": "Failed unlock attempts recorded",
  "vault.lock": "Locked",
  "vault.password_change": "Master password changed",
  "vault.key_rotate": "Data key rotated",
  "vault.export": "Backup exported",
  "vault.import": "Backup restored",
  "credential.add": "Credential added",
  "credential.reveal": "Secret revealed",
  "credential.copy": "Secret copied",
  "credential.use": "Secret used by Tallyvault",
  "credential.rotate": "Secret rotated",
  "credential.delete": "Credential deleted",
  "credential.import_env": "Imported from a .env file",
  "settings.change": "Setting changed",
  "audit.anchor_reset": "Audit anchor reset",
};

export function describeAction(action: string): string {
  return AUDIT_ACTIONS[action] ?? action;
}

// Credentials shaped exactly as the shell's list_credentials returns them (see src/bindings).
import type { Credential } from "../src/bindings";

export function credential(overrides: Partial<Credential> = {}): Credential {
  return {
    id: 1,
    provider: "anthropic",
    label: "work-anthropic",
    hasNote: false,
    expiresAt: null,
    createdAt: "2026-01-05T10:00:00.000Z",
    rotatedAt: null,
    lastUsedAt: null,
    invalidReason: null,
    ...overrides,
  };
}

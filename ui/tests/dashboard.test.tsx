import { describe, expect, it } from "vitest";
import { credentialsNeedingAttention, countByProvider, DashboardPage } from "../src/pages/dashboard";
import { credential } from "./fixtures";
import { mockShell, mount } from "./render";

const NOW = new Date(2026, 2, 10);

describe("dashboard logic", () => {
  it("flags expired, soon-expiring and rejected credentials only", () => {
    const flagged = credentialsNeedingAttention(
      [
        credential({ id: 1, label: "old", expiresAt: "2026-03-01" }),
        credential({ id: 2, label: "soon", expiresAt: "2026-03-20" }),
        credential({ id: 3, label: "later", expiresAt: "2026-09-01" }),
        credential({ id: 4, label: "revoked", invalidReason: "401 from the provider" }),
        credential({ id: 5, label: "plain" }),
      ],
      NOW,
    );
    expect(flagged.map((f) => f.credential.label)).toEqual(["old", "soon", "revoked"]);
    expect(flagged[1].reason).toBe("expires in 10 days");
  });

  it("counts credentials by provider, most first", () => {
    const counts = countByProvider([
      credential({ provider: "openai" }),
      credential({ provider: "anthropic" }),
      credential({ provider: "openai" }),
    ]);
    expect(counts).toEqual([
      ["openai", 2],
      ["anthropic", 1],
    ]);
  });
});

describe("DashboardPage", () => {
  it("shows failed attempts since the last unlock and the integrity warning", async () => {
    mockShell({ list_credentials: () => [], audit_events: () => ({ events: [], nextBeforeSeq: null }) });
    const page = await mount(
      <DashboardPage
        unlockOutcome={{
          failedAttempts: ["2026-03-01T09:00:00.000Z", "2026-03-01T09:01:00.000Z"],
          integrityWarning: "the audit log's anchor disagrees with the database",
        }}
        onDismissUnlockOutcome={() => undefined}
        onNavigate={() => undefined}
      />,
    );
    expect(page.textContent).toContain("2 failed unlock attempts since the last unlock");
    expect(page.textContent).toContain("Integrity warning: the audit log's anchor disagrees");
    expect(page.textContent).toContain("Dashboard · Tallyvault");
  });
});

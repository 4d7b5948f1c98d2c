import { describe, expect, it } from "vitest";
import { AuditPage, verificationMessage } from "../src/pages/audit";
import { button, click, mockShell, mount } from "./render";

function events(from: number, n: number) {
  return Array.from({ length: n }, (_, i) => ({
    seq: from - i,
    at: "2026-03-01T09:00:00.000Z",
    action: "vault.unlock",
    credentialId: null,
    details: {},
  }));
}

describe("AuditPage", () => {
  it("pages backwards with the cursor the shell returned, and back again", async () => {
    const calls = mockShell({
      list_credentials: () => [],
      audit_events: ({ query }) =>
        (query as { beforeSeq: number | null }).beforeSeq === null
          ? { events: events(60, 50), nextBeforeSeq: 11 }
          : { events: events(10, 10), nextBeforeSeq: null },
    });
    const page = await mount(<AuditPage />);
    expect(page.querySelectorAll("tbody tr")).toHaveLength(50);
    await click(button(page, "Older"));
    expect(page.querySelectorAll("tbody tr")).toHaveLength(10);
    expect(button(page, "Older").disabled).toBe(true);
    await click(button(page, "Newer"));
    const queries = calls.filter((c) => c.cmd === "audit_events").map((c) => (c.args.query as { beforeSeq: unknown }).beforeSeq);
    expect(queries).toEqual([null, 11, null]);
  });

  it("shows the verification result", async () => {
    mockShell({
      list_credentials: () => [],
      audit_events: () => ({ events: [], nextBeforeSeq: null }),
      verify_audit: () => ({ ok: true, events: 12, problem: null }),
    });
    const page = await mount(<AuditPage />);
    await click(button(page, "Verify"));
    expect(page.textContent).toContain("The audit log verifies: 12 events checked");
  });

  it("words a failed verification with the core's problem", () => {
    expect(
      verificationMessage({ ok: false, events: 4, problem: "seq 3 does not match its tag: the row was edited or forged" }),
    ).toBe("The audit log does not verify: seq 3 does not match its tag: the row was edited or forged.");
  });
});

import { describe, expect, it } from "vitest";
import { AuditCursor, auditQueryFor, NO_FILTERS } from "../src/pages/audit-query";

describe("auditQueryFor", () => {
  it("sends nulls for empty filters", () => {
    expect(auditQueryFor(NO_FILTERS, null, 50)).toEqual({
      action: null,
      since: null,
      until: null,
      credentialId: null,
      beforeSeq: null,
      limit: 50,
    });
  });

  it("turns local days into an inclusive range with an exclusive upper bound", () => {
    const q = auditQueryFor({ ...NO_FILTERS, since: "2026-03-01", until: "2026-03-01" }, null);
    expect(q.since).toBe(new Date(2026, 2, 1).toISOString());
    expect(q.until).toBe(new Date(2026, 2, 2).toISOString());
  });

  it("passes the action, credential and page cursor", () => {
    const q = auditQueryFor({ ...NO_FILTERS, action: "credential.copy", credentialId: "7" }, 120);
    expect(q.action).toBe("credential.copy");
    expect(q.credentialId).toBe(7);
    expect(q.beforeSeq).toBe(120);
  });
});

describe("AuditCursor", () => {
  it("walks to older pages and back", () => {
    const cursor = new AuditCursor();
    expect(cursor.current).toBeNull();
    expect(cursor.hasNewer).toBe(false);
    cursor.older(101);
    cursor.older(51);
    expect(cursor.current).toBe(51);
    expect(cursor.pageNumber).toBe(3);
    cursor.newer();
    expect(cursor.current).toBe(101);
    cursor.reset();
    expect(cursor.current).toBeNull();
    expect(cursor.pageNumber).toBe(1);
  });
});

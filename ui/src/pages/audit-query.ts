// The audit page's filters, turned into the shell's AuditQuery. Dates are the user's local calendar days;
// "until" includes its whole day (the core's bound is exclusive).
import type { AuditQuery } from "../bindings";

export interface AuditFilters {
  action: string;
  /** YYYY-MM-DD or "". */
  since: string;
  /** YYYY-MM-DD or "", inclusive. */
  until: string;
  /** A credential id as text, or "". */
  credentialId: string;
}

export const NO_FILTERS: AuditFilters = { action: "", since: "", until: "", credentialId: "" };
export const AUDIT_PAGE_SIZE = 50;

function startOfLocalDay(date: string, addDays = 0): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return null;
  const day = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + addDays);
  return day.toISOString();
}

export function auditQueryFor(filters: AuditFilters, beforeSeq: number | null, limit = AUDIT_PAGE_SIZE): AuditQuery {
  const credentialId = filters.credentialId === "" ? null : Number(filters.credentialId);
  return {
    action: filters.action || null,
    since: startOfLocalDay(filters.since),
    until: startOfLocalDay(filters.until, 1),
    credentialId: Number.isFinite(credentialId) ? credentialId : null,
    beforeSeq,
    limit,
  };
}

/** Paging backwards through the log: the cursors of the pages seen, newest first. */
export class AuditCursor {
  private readonly stack: (number | null)[] = [null];

  get current(): number | null {
    return this.stack[this.stack.length - 1];
  }

  get pageNumber(): number {
    return this.stack.length;
  }

  get hasNewer(): boolean {
    return this.stack.length > 1;
  }

  older(nextBeforeSeq: number): void {
    this.stack.push(nextBeforeSeq);
  }

  newer(): void {
    if (this.stack.length > 1) this.stack.pop();
  }

  reset(): void {
    this.stack.length = 1;
  }
}

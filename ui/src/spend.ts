// The spend pages' logic, apart from their markup so it can be tested: what a budget bar says, the forecast in
// words, the explorer's query and sorting, the budget form. Money is never computed here: the shell sends exact
// amounts with their text.
import { useEffect } from "preact/hooks";
import { listen } from "@tauri-apps/api/event";
import { USAGE_CHANGED_EVENT } from "./api";
import type { BudgetInput, BudgetProgress, Projection, UsageChangedEvent, UsageQuery } from "./bindings";

/** Calls `reload` whenever the shell stores new usage, so pages update live. */
export function useUsageChanged(reload: (event: UsageChangedEvent) => void): void {
  useEffect(() => {
    // Without the event (a shell that cannot emit it) pages still work; they just do not update by themselves.
    const stop = listen<UsageChangedEvent>(USAGE_CHANGED_EVENT, (event) => reload(event.payload)).catch(() => null);
    return () => {
      stop.then((unlisten) => unlisten?.()).catch(() => undefined);
    };
  }, []);
}

export const CHART_PERIODS: { days: number; label: string }[] = [
  { days: 7, label: "7 days" },
  { days: 30, label: "30 days" },
  { days: 90, label: "90 days" },
  { days: 365, label: "1 year" },
];

export type Breakdown = "provider" | "model";

/** "80% interval $12.00 to $19.50" */
export function forecastInterval(f: Projection): string {
  return `${Math.round(f.level * 100)}% interval ${f.lower.text} to ${f.upper.text}`;
}

/** The last day of a period whose end is exclusive: "2026-04-01" → "2026-03-31". */
export function lastDay(exclusiveEnd: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(exclusiveEnd);
  if (!match) return exclusiveEnd;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]) - 1));
  return date.toISOString().slice(0, 10);
}

export type BudgetLevel = "ok" | "warning" | "over";

/** How a budget stands: over its amount, past its first threshold or projected over, or fine. */
export function budgetLevel(b: BudgetProgress): BudgetLevel {
  if (b.over) return "over";
  const first = b.thresholds[0] ?? 100;
  if (b.percent >= first || b.projection.projectedOver) return "warning";
  return "ok";
}

/** "$3.75 of $2.00 (188%)" */
export function budgetSummary(b: BudgetProgress): string {
  return `${b.spent.text} of ${b.amount.text} (${Math.round(b.percent)}%)`;
}

/** The <meter>'s value: capped at the budget, so an overrun shows a full bar (the text says by how much). */
export function meterValue(b: BudgetProgress): number {
  return Math.min(Math.max(b.percent, 0), 100);
}

export type UsageFilters = {
  since: string;
  until: string;
  source: string;
  provider: string;
  model: string;
  project: string;
  perDay: boolean;
};

export const NO_USAGE_FILTERS: UsageFilters = {
  since: "",
  until: "",
  source: "",
  provider: "",
  model: "",
  project: "",
  perDay: true,
};

export type SortKey = "date" | "source" | "provider" | "model" | "project" | "requests" | "tokens" | "cost";
export type Sort = { key: SortKey; descending: boolean };

export const PAGE_SIZE = 50;

/** Clicking a column: the same one flips the order; a new one starts descending for numbers and dates. */
export function nextSort(current: Sort, key: SortKey): Sort {
  if (current.key === key) return { key, descending: !current.descending };
  const textual = key === "source" || key === "provider" || key === "model" || key === "project";
  return { key, descending: !textual };
}

export function ariaSort(sort: Sort, key: SortKey): "ascending" | "descending" | "none" {
  if (sort.key !== key) return "none";
  return sort.descending ? "descending" : "ascending";
}

const list = (value: string) => (value.trim() ? [value.trim()] : []);

/** The shell's query for filters, a sort and a page number (0-based). */
export function usageQueryFor(filters: UsageFilters, sort: Sort, page: number): UsageQuery {
  return {
    since: filters.since || null,
    until: filters.until || null,
    sources: list(filters.source),
    providers: list(filters.provider),
    models: list(filters.model),
    projects: list(filters.project),
    perDay: filters.perDay,
    sort: sort.key,
    descending: sort.descending,
    offset: page * PAGE_SIZE,
    limit: PAGE_SIZE,
  };
}

/** "Rows 51–100 of 230" */
export function pageLabel(offset: number, shown: number, total: number): string {
  if (total === 0) return "No rows";
  return `Rows ${offset + 1}–${offset + shown} of ${total}`;
}

export type BudgetForm = {
  name: string;
  amount: string;
  period: "day" | "week" | "month";
  cycleDay: string;
  provider: string;
  model: string;
  project: string;
  source: string;
  thresholds: string;
  forecastAlert: boolean;
};

export const NEW_BUDGET: BudgetForm = {
  name: "",
  amount: "",
  period: "month",
  cycleDay: "1",
  provider: "",
  model: "",
  project: "",
  source: "",
  thresholds: "50,80,100",
  forecastAlert: true,
};

/** Exact dollars for a form field: 12_500_000_000 → "12.5". */
export function dollarsFromNanos(nanos: number): string {
  const sign = nanos < 0 ? "-" : "";
  const abs = Math.abs(nanos);
  const whole = Math.floor(abs / 1e9);
  const fraction = String(abs % 1e9).padStart(9, "0").replace(/0+$/, "");
  return `${sign}${whole}${fraction ? `.${fraction}` : ""}`;
}

export function budgetFormFrom(b: BudgetProgress): BudgetForm {
  const period = b.period === "day" || b.period === "week" ? b.period : "month";
  return {
    name: b.name,
    amount: dollarsFromNanos(b.amount.nanos),
    period,
    cycleDay: String(b.cycleDay),
    provider: b.scope.provider ?? "",
    model: b.scope.model ?? "",
    project: b.scope.project ?? "",
    source: b.scope.source ?? "",
    thresholds: b.thresholds.join(","),
    forecastAlert: b.forecastAlert,
  };
}

/** What is wrong with the form, field by field (the shell checks again). */
export function budgetFormErrors(form: BudgetForm): Partial<Record<keyof BudgetForm, string>> {
  const errors: Partial<Record<keyof BudgetForm, string>> = {};
  if (!/^\$?\s*\d+(\.\d{1,9})?$/.test(form.amount.trim()) || Number(form.amount.replace("$", "")) <= 0) {
    errors.amount = "Give an amount in dollars above 0, such as 100 or 12.50.";
  }
  const day = Number(form.cycleDay);
  if (form.period === "month" && !(Number.isInteger(day) && day >= 1 && day <= 31)) {
    errors.cycleDay = "The billing cycle starts on a day from 1 to 31.";
  }
  if (form.thresholds.trim() && !/^\s*\d+%?(\s*,\s*\d+%?)*\s*$/.test(form.thresholds)) {
    errors.thresholds = "Whole percents separated by commas, such as 50,80,100.";
  }
  return errors;
}

export function budgetInputFrom(form: BudgetForm): BudgetInput {
  const optional = (v: string) => (v.trim() ? v.trim() : null);
  return {
    name: form.name.trim(),
    amount: form.amount.trim().replace(/^\$\s*/, ""),
    period: form.period,
    cycleDay: form.period === "month" ? Number(form.cycleDay) : 1,
    scope: {
      provider: optional(form.provider),
      model: optional(form.model),
      project: optional(form.project),
      source: optional(form.source),
    },
    thresholds: form.thresholds.trim(),
    forecastAlert: form.forecastAlert,
  };
}

/** "12,345", as `toLocaleString("en-US")` writes an integer, without Intl's number formats (ICU, issue 6). */
export function integer(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString("en-US");
  const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+$)/g, ",");
  return n < 0 ? `-${digits}` : digits;
}

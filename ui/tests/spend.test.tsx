import { describe, expect, it } from "vitest";
import { act } from "preact/test-utils";
import { emit } from "@tauri-apps/api/event";
import { DashboardPage } from "../src/pages/dashboard";
import {
  budgetFormErrors,
  budgetFormFrom,
  budgetInputFrom,
  budgetLevel,
  dollarsFromNanos,
  forecastInterval,
  lastDay,
  meterValue,
  NEW_BUDGET,
  nextSort,
  NO_USAGE_FILTERS,
  pageLabel,
  usageQueryFor,
} from "../src/spend";
import { alert, budget, dashboardData, money, projection } from "./fixtures";
import { button, click, mockShell, mount, settle } from "./render";

describe("spend logic", () => {
  it("words the forecast's interval and the period's last day", () => {
    expect(forecastInterval(projection())).toBe("80% interval $8.00 to $19.00");
    expect(lastDay("2026-04-01")).toBe("2026-03-31");
    expect(lastDay("2026-03-01")).toBe("2026-02-28");
  });

  it("tells over, warning and fine budgets apart, and caps the meter", () => {
    expect(budgetLevel(budget())).toBe("over");
    expect(budgetLevel(budget({ over: false, percent: 60 }))).toBe("warning");
    expect(budgetLevel(budget({ over: false, percent: 10 }))).toBe("ok");
    expect(
      budgetLevel(budget({ over: false, percent: 10, projection: projection({ projectedOver: true }) })),
    ).toBe("warning");
    expect(meterValue(budget())).toBe(100);
  });

  it("builds the explorer's query from filters, sort and page", () => {
    const q = usageQueryFor({ ...NO_USAGE_FILTERS, provider: "openai", since: "2026-03-01" }, { key: "cost", descending: true }, 2);
    expect(q).toMatchObject({
      since: "2026-03-01",
      until: null,
      providers: ["openai"],
      sources: [],
      sort: "cost",
      descending: true,
      offset: 100,
      limit: 50,
    });
    expect(nextSort({ key: "cost", descending: true }, "cost")).toEqual({ key: "cost", descending: false });
    expect(nextSort({ key: "cost", descending: true }, "model")).toEqual({ key: "model", descending: false });
    expect(nextSort({ key: "model", descending: false }, "requests")).toEqual({ key: "requests", descending: true });
    expect(pageLabel(50, 20, 70)).toBe("Rows 51–70 of 70");
    expect(pageLabel(0, 0, 0)).toBe("No rows");
  });

  it("round-trips a budget through its form with exact dollars", () => {
    expect(dollarsFromNanos(12_500_000_000)).toBe("12.5");
    expect(dollarsFromNanos(1)).toBe("0.000000001");
    const form = budgetFormFrom(budget({ amount: money(1234) }));
    expect(form.amount).toBe("12.34");
    expect(budgetInputFrom(form)).toEqual({
      name: "daily cap",
      amount: "12.34",
      period: "day",
      cycleDay: 1,
      scope: { provider: "anthropic", model: null, project: null, source: null },
      thresholds: "50,100",
      forecastAlert: true,
    });
  });

  it("refuses bad amounts, cycle days and thresholds before asking the shell", () => {
    expect(budgetFormErrors({ ...NEW_BUDGET, amount: "100" })).toEqual({});
    expect(budgetFormErrors({ ...NEW_BUDGET, amount: "$12.50" })).toEqual({});
    expect(Object.keys(budgetFormErrors({ ...NEW_BUDGET, amount: "0" }))).toEqual(["amount"]);
    expect(Object.keys(budgetFormErrors({ ...NEW_BUDGET, amount: "ten" }))).toEqual(["amount"]);
    expect(Object.keys(budgetFormErrors({ ...NEW_BUDGET, amount: "5", cycleDay: "32" }))).toEqual(["cycleDay"]);
    expect(Object.keys(budgetFormErrors({ ...NEW_BUDGET, amount: "5", thresholds: "50;80" }))).toEqual(["thresholds"]);
  });
});

const noVault = {
  list_credentials: () => [],
  audit_events: () => ({ events: [], nextBeforeSeq: null }),
};

describe("DashboardPage spend", () => {
  it("shows today, week, month, the forecast's interval, the chart, budgets and open alerts", async () => {
    const calls = mockShell({ ...noVault, dashboard: () => dashboardData() });
    const page = await mount(
      <DashboardPage unlockOutcome={null} onDismissUnlockOutcome={() => undefined} onNavigate={() => undefined} />,
    );
    expect(page.querySelector("[data-testid=spend-today-cost]")?.textContent).toBe("$3.75");
    expect(page.querySelector("[data-testid=spend-week-cost]")?.textContent).toBe("$13.82");
    expect(page.querySelector("[data-testid=spend-month-cost]")?.textContent).toBe("$16.82");
    expect(page.textContent).toContain("1 unpriced request (1,100 tokens), not in the total");
    expect(page.textContent).toContain("80% interval $8.00 to $19.00 by 2026-03-31");
    expect(page.querySelector("[data-testid=spend-chart] svg title")?.textContent).toBe("Daily spend by provider");
    expect(page.textContent).toContain("$3.75 of $2.00 (188%)");
    expect(page.textContent).toContain("past its 100% threshold");
    expect(calls.find((c) => c.cmd === "dashboard")?.args).toEqual({
      request: { chartDays: 30, breakdown: "provider", theme: "light" },
    });
  });

  it("asks again for another period or breakdown", async () => {
    const calls = mockShell({ ...noVault, dashboard: () => dashboardData() });
    const page = await mount(
      <DashboardPage unlockOutcome={null} onDismissUnlockOutcome={() => undefined} onNavigate={() => undefined} />,
    );
    await click(button(page, "By model"));
    const select = page.querySelector("select") as HTMLSelectElement;
    await act(() => {
      select.value = "90";
      select.dispatchEvent(new Event("change", { bubbles: true }));
    });
    await settle();
    const requests = calls.filter((c) => c.cmd === "dashboard").map((c) => c.args.request);
    expect(requests.at(-1)).toEqual({ chartDays: 90, breakdown: "model", theme: "light" });
    expect(button(page, "By model").getAttribute("aria-pressed")).toBe("true");
  });

  it("scans now, says what it found, and reloads", async () => {
    let cost = 0;
    const calls = mockShell({
      ...noVault,
      dashboard: () => dashboardData({ today: { ...dashboardData().today, cost: money(cost) } }),
      scan_now: () => {
        cost = 375;
        return {
          at: "2026-03-18T14:00:00Z",
          files: 1,
          filesRead: 1,
          usageLines: 2,
          recordsWritten: 2,
          skippedLines: 0,
          durationMs: 3,
          newAlerts: [alert()],
        };
      },
    });
    const page = await mount(
      <DashboardPage unlockOutcome={null} onDismissUnlockOutcome={() => undefined} onNavigate={() => undefined} />,
    );
    expect(page.querySelector("[data-testid=spend-today-cost]")?.textContent).toBe("$0.00");
    await click(button(page, "Scan now"));
    expect(page.textContent).toContain("Scanned 1 file: 2 new records, 1 new alert.");
    expect(page.querySelector("[data-testid=spend-today-cost]")?.textContent).toBe("$3.75");
    expect(calls.filter((c) => c.cmd === "dashboard")).toHaveLength(2);
  });

  it("updates live when the shell says usage changed", async () => {
    const calls = mockShell({ ...noVault, dashboard: () => dashboardData() }, { shouldMockEvents: true });
    await mount(
      <DashboardPage unlockOutcome={null} onDismissUnlockOutcome={() => undefined} onNavigate={() => undefined} />,
    );
    await act(() => emit("usage-changed", { reason: "watch", recordsWritten: 3, newAlerts: [] }));
    await settle();
    expect(calls.filter((c) => c.cmd === "dashboard")).toHaveLength(2);
  });

  it("acknowledges an alert from the dashboard", async () => {
    let acknowledged = false;
    const calls = mockShell({
      ...noVault,
      dashboard: () => dashboardData({ alerts: acknowledged ? [] : [alert()] }),
      acknowledge_alert: () => {
        acknowledged = true;
        return alert({ state: "acknowledged" });
      },
    });
    const page = await mount(
      <DashboardPage unlockOutcome={null} onDismissUnlockOutcome={() => undefined} onNavigate={() => undefined} />,
    );
    await click(button(page, "Acknowledge alert 7"));
    expect(calls.find((c) => c.cmd === "acknowledge_alert")?.args).toEqual({ id: 7 });
    expect(page.textContent).toContain("No open alerts.");
  });
});

import { describe, expect, it } from "vitest";
import { act } from "preact/test-utils";
import { BudgetsPage } from "../src/pages/budgets";
import { circuitText, SourcesPage } from "../src/pages/sources";
import { UsagePage } from "../src/pages/usage";
import type { ProviderAccount, UsagePage as UsagePageData, UsageRow } from "../src/bindings";
import { alert, budget, money } from "./fixtures";
import { button, click, mockShell, mount, settle, submit, type } from "./render";

function row(overrides: Partial<UsageRow> = {}): UsageRow {
  return {
    date: "2026-03-18",
    source: "claude-code",
    provider: "anthropic",
    model: "claude-opus-4",
    project: "shop",
    amounts: {
      inputTokens: 1000,
      outputTokens: 200,
      cacheWriteTokens: 0,
      cacheReadTokens: 0,
      reasoningTokens: 0,
      totalTokens: 1200,
      requests: 1,
      cost: money(250),
      unpricedTokens: 0,
      unpricedRequests: 0,
    },
    ...overrides,
  };
}

function usagePage(rows: UsageRow[], totalRows = rows.length, offset = 0): UsagePageData {
  return { rows, totalRows, totals: { ...rows[0].amounts, cost: money(375) }, offset, timezone: "Europe/Berlin" };
}

const facets = () => ({ sources: ["claude-code", "codex"], providers: ["anthropic"], models: ["claude-opus-4"], projects: ["shop"] });

describe("UsagePage", () => {
  it("shows rows and totals, sorts by a column, pages, and filters", async () => {
    const calls = mockShell({
      usage_page: (args) => {
        const q = args.query as { offset: number };
        return usagePage([row()], 120, q.offset);
      },
      usage_facets: facets,
    });
    const page = await mount(<UsagePage />);
    expect(page.textContent).toContain("Usage · Tallyvault");
    expect(page.textContent).toContain("Rows 1–1 of 120 · total $3.75");
    expect(page.querySelector("tbody td:nth-child(4)")?.textContent).toBe("claude-opus-4");

    const sortBy = (label: string) =>
      [...page.querySelectorAll("th button")].find((b) => b.textContent?.startsWith(label)) as HTMLElement;
    await click(sortBy("Cost"));
    const last = () => calls.filter((c) => c.cmd === "usage_page").at(-1)?.args.query as Record<string, unknown>;
    expect(last()).toMatchObject({ sort: "cost", descending: true, offset: 0 });
    expect(page.querySelector("th[aria-sort=descending]")?.textContent).toContain("Cost");
    await click(sortBy("Cost"));
    expect(last()).toMatchObject({ sort: "cost", descending: false });

    await click(button(page, "Next"));
    expect(last()).toMatchObject({ offset: 50 });

    const source = [...page.querySelectorAll("label")].find((l) => l.textContent?.startsWith("Source"))!
      .querySelector("select") as HTMLSelectElement;
    await act(() => {
      source.value = "codex";
      source.dispatchEvent(new Event("change", { bubbles: true }));
    });
    await settle();
    expect(last()).toMatchObject({ sources: ["codex"], offset: 0 });
  });

  it("exports every matching row as CSV to the path given", async () => {
    const calls = mockShell({
      usage_page: () => usagePage([row()]),
      usage_facets: facets,
      suggested_export_path: () => "/home/me/Downloads/tallyvault-usage.csv",
      export_usage_csv: () => ({ path: "/home/me/Downloads/tallyvault-usage.csv", bytes: 200, rows: 1 }),
    });
    const page = await mount(<UsagePage />);
    await click(button(page, "Export CSV"));
    await submit(page.querySelector("form.export") as HTMLFormElement);
    expect(calls.find((c) => c.cmd === "export_usage_csv")?.args).toMatchObject({
      path: "/home/me/Downloads/tallyvault-usage.csv",
      query: { offset: 0 },
    });
    expect(page.textContent).toContain("1 rows saved to /home/me/Downloads/tallyvault-usage.csv.");
  });
});

describe("BudgetsPage", () => {
  it("creates a budget from the form and lists alerts", async () => {
    let budgets = [] as ReturnType<typeof budget>[];
    const calls = mockShell({
      list_budgets: () => budgets,
      list_alerts: () => (budgets.length ? [alert()] : []),
      add_budget: () => {
        budgets = [budget()];
        return 1;
      },
    });
    const page = await mount(<BudgetsPage />);
    expect(page.textContent).toContain("Budgets and alerts · Tallyvault");
    expect(page.textContent).toContain("No budgets.");
    await click(button(page, "New budget"));
    const field = (label: string) =>
      [...page.querySelectorAll("label")].find((l) => l.textContent?.startsWith(label))!.querySelector(
        "input, select",
      ) as HTMLInputElement;
    await submit(page.querySelector("form") as HTMLFormElement);
    expect(page.textContent).toContain("Give an amount in dollars above 0");
    expect(calls.some((c) => c.cmd === "add_budget")).toBe(false);
    await type(field("Amount in USD"), "2");
    await type(field("Provider"), "anthropic");
    await submit(page.querySelector("form") as HTMLFormElement);
    expect(calls.find((c) => c.cmd === "add_budget")?.args).toEqual({
      input: {
        name: "",
        amount: "2",
        period: "month",
        cycleDay: 1,
        scope: { provider: "anthropic", model: null, project: null, source: null },
        thresholds: "50,80,100",
        forecastAlert: true,
      },
    });
    expect(page.textContent).toContain("Budget added.");
    expect(page.textContent).toContain("$3.75 of $2.00 (188%)");
    expect(page.textContent).toContain("past its 100% threshold");
  });

  it("edits and deletes with confirmation", async () => {
    const calls = mockShell({
      list_budgets: () => [budget()],
      list_alerts: () => [],
      edit_budget: () => null,
      delete_budget: () => null,
    });
    const page = await mount(<BudgetsPage />);
    await click(button(page, "Edit"));
    const amount = [...page.querySelectorAll("label")].find((l) => l.textContent?.startsWith("Amount"))!.querySelector(
      "input",
    ) as HTMLInputElement;
    expect(amount.value).toBe("2");
    await type(amount, "5");
    await submit(page.querySelector("form") as HTMLFormElement);
    expect(calls.find((c) => c.cmd === "edit_budget")?.args).toMatchObject({ id: 1, input: { amount: "5", period: "day" } });
    await click(button(page, "Delete"));
    expect(page.textContent).toContain('Delete budget "daily cap"?');
    await click([...page.querySelectorAll(".dialog button")].find((b) => b.textContent === "Delete") as HTMLElement);
    expect(calls.find((c) => c.cmd === "delete_budget")?.args).toEqual({ id: 1 });
  });
});

function account(overrides: Partial<ProviderAccount> = {}): ProviderAccount {
  return {
    id: 3,
    provider: "openai",
    credentialLabel: "work-openai",
    credentialInvalid: null,
    baseUrl: null,
    intervalSecs: 900,
    lastSuccessAt: "2026-03-18T13:00:00Z",
    lastError: null,
    lastErrorAt: null,
    circuitState: "closed",
    circuitOpenUntil: null,
    consecutiveFailures: 0,
    requestsTotal: 12,
    queuedWindows: 0,
    ...overrides,
  };
}

describe("SourcesPage", () => {
  it("shows sources, accounts and their circuit, and says to unlock before polling", async () => {
    expect(circuitText(account())).toBe("closed");
    expect(circuitText(account({ circuitState: "open", circuitOpenUntil: null }))).toBe("open");
    mockShell({
      sources_overview: () => ({
        sources: [
          {
            source: "claude-code",
            folders: ["/home/me/.claude/projects"],
            existing: ["/home/me/.claude/projects"],
            files: 4,
            lines: 1200,
            skippedLines: 2,
            lastScanAt: "2026-03-18T13:00:00Z",
          },
        ],
        accounts: [account({ lastError: "HTTP 500", lastErrorAt: "2026-03-18T12:00:00Z", queuedWindows: 2 })],
        queue: [],
        lastScan: null,
        lastScanError: null,
        watching: true,
        lastPollAt: null,
        lastPollError: null,
      }),
      poll_now: () => {
        throw { code: "locked", message: "the vault is locked" };
      },
    });
    const page = await mount(<SourcesPage />);
    expect(page.textContent).toContain("Providers and sources · Tallyvault");
    expect(page.textContent).toContain("Claude Code");
    expect(page.textContent).toContain("1,200 (2)");
    expect(page.textContent).toContain("Watching these folders");
    expect(page.textContent).toContain("OpenAI #3 (work-openai)");
    expect(page.textContent).toContain("HTTP 500");
    expect(page.textContent).toContain("2 windows");
    await click(button(page, "Poll now"));
    expect(page.textContent).toContain("Unlock the vault to poll");
  });
});

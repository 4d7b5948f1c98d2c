// Data shaped exactly as the shell's commands return it (see src/bindings).
import type { Alert, BudgetProgress, Credential, Dashboard, MoneyAmount, Projection, SpendTotal } from "../src/bindings";

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

export function money(cents: number): MoneyAmount {
  return { nanos: cents * 10_000_000, text: `$${(cents / 100).toFixed(2)}` };
}

export function total(cents: number, overrides: Partial<SpendTotal> = {}): SpendTotal {
  return {
    from: "2026-03-18",
    to: "2026-03-18",
    cost: money(cents),
    requests: 2,
    tokens: 2400,
    unpricedRequests: 0,
    unpricedTokens: 0,
    ...overrides,
  };
}

export function projection(overrides: Partial<Projection> = {}): Projection {
  return {
    periodStart: "2026-03-01",
    periodEnd: "2026-04-01",
    spent: money(375),
    projected: money(1200),
    lower: money(800),
    upper: money(1900),
    level: 0.8,
    exhaustionDate: null,
    projectedOver: false,
    method: "ETS",
    historyDays: 20,
    note: null,
    ...overrides,
  };
}

export function budget(overrides: Partial<BudgetProgress> = {}): BudgetProgress {
  return {
    id: 1,
    name: "daily cap",
    amount: money(200),
    period: "day",
    cycleDay: 1,
    scope: { provider: "anthropic", model: null, project: null, source: null },
    scopeText: "provider=anthropic",
    thresholds: [50, 100],
    forecastAlert: true,
    periodStart: "2026-03-18",
    periodEnd: "2026-03-19",
    spent: money(375),
    percent: 187.5,
    over: true,
    projection: projection({ projected: money(500) }),
    ...overrides,
  };
}

export function alert(overrides: Partial<Alert> = {}): Alert {
  return {
    id: 7,
    kind: "threshold",
    state: "open",
    budgetId: 1,
    budgetName: "daily cap",
    threshold: 100,
    message: 'Budget "daily cap" (day, provider=anthropic): $3.75 of $2.00 spent (188%), past its 100% threshold',
    createdAt: "2026-03-18T14:00:00.000Z",
    ...overrides,
  };
}

export function dashboardData(overrides: Partial<Dashboard> = {}): Dashboard {
  return {
    timezone: "Europe/Berlin",
    today: total(375, { unpricedRequests: 1, unpricedTokens: 1100 }),
    week: total(1382, { from: "2026-03-16" }),
    month: total(1682, { from: "2026-03-01" }),
    forecast: projection(),
    budgets: [budget()],
    alerts: [alert()],
    chart: {
      svg: '<svg xmlns="http://www.w3.org/2000/svg" role="img"><title>Daily spend by provider</title><desc>Total $16.82.</desc><rect x="1" y="1" width="5" height="5" fill="#0072B2"/></svg>',
      title: "Daily spend by provider, 2026-02-17 to 2026-03-18",
      description: "Total $16.82.",
      series: [{ name: "anthropic", colour: "#0072B2", total: money(1250) }],
      from: "2026-02-17",
      to: "2026-03-18",
    },
    ...overrides,
  };
}

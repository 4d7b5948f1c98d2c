import { useEffect, useState } from "preact/hooks";
import { api, asCommandError } from "../api";
import type { UsageFacets, UsagePage as UsagePageData } from "../bindings";
import { PageTitle } from "../components/layout";
import { Notice } from "../components/notice";
import {
  ariaSort,
  integer,
  nextSort,
  NO_USAGE_FILTERS,
  PAGE_SIZE,
  pageLabel,
  usageQueryFor,
  useUsageChanged,
  type Sort,
  type SortKey,
  type UsageFilters,
} from "../spend";

const COLUMNS: { key: SortKey; label: string; numeric?: boolean }[] = [
  { key: "date", label: "Date" },
  { key: "source", label: "Source" },
  { key: "provider", label: "Provider" },
  { key: "model", label: "Model" },
  { key: "project", label: "Project" },
  { key: "requests", label: "Requests", numeric: true },
  { key: "tokens", label: "Tokens", numeric: true },
  { key: "cost", label: "Cost", numeric: true },
];

const EMPTY_FACETS: UsageFacets = { sources: [], providers: [], models: [], projects: [] };

function FacetSelect(props: { label: string; value: string; options: string[]; onChange: (v: string) => void }) {
  return (
    <label>
      {props.label}
      <select value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
        <option value="">All</option>
        {props.options.map((o) => (
          <option value={o}>{o || "(none)"}</option>
        ))}
      </select>
    </label>
  );
}

/** Usage by day, source, provider, model and project: filtered, sorted, paged, exportable as CSV. */
export function UsagePage() {
  const [filters, setFilters] = useState<UsageFilters>(NO_USAGE_FILTERS);
  const [sort, setSort] = useState<Sort>({ key: "date", descending: true });
  const [page, setPage] = useState(0);
  const [data, setData] = useState<UsagePageData | null>(null);
  const [facets, setFacets] = useState<UsageFacets>(EMPTY_FACETS);
  const [error, setError] = useState<string | null>(null);
  const [exportPath, setExportPath] = useState<string | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    api
      .usagePage(usageQueryFor(filters, sort, page))
      .then((d) => {
        setData(d);
        setError(null);
      })
      .catch((e) => setError(asCommandError(e).message));
  }, [filters, sort, page, generation]);

  useEffect(() => {
    api
      .usageFacets(usageQueryFor(filters, sort, 0))
      .then(setFacets)
      .catch(() => setFacets(EMPTY_FACETS));
  }, [filters.since, filters.until, generation]);

  useUsageChanged(() => setGeneration((g) => g + 1));

  const update = (change: Partial<UsageFilters>) => {
    setFilters({ ...filters, ...change });
    setPage(0);
  };

  async function openExport() {
    try {
      setExportPath(await api.suggestedExportPath("csv"));
    } catch {
      setExportPath("");
    }
  }

  async function exportCsv(event: Event) {
    event.preventDefault();
    if (exportPath === null) return;
    try {
      const out = await api.exportUsageCsv(usageQueryFor(filters, sort, 0), exportPath);
      setMessage({ ok: true, text: `${integer(out.rows ?? 0)} rows saved to ${out.path}.` });
      setExportPath(null);
    } catch (e) {
      setMessage({ ok: false, text: asCommandError(e).message });
    }
  }

  const shownColumns = COLUMNS.filter((c) => filters.perDay || c.key !== "date");
  return (
    <section>
      <PageTitle title="Usage">
        <button type="button" onClick={openExport} aria-expanded={exportPath !== null}>
          Export CSV
        </button>
      </PageTitle>
      {exportPath !== null && (
        <form class="panel actions export" onSubmit={exportCsv}>
          <label>
            Save every matching row to
            <input value={exportPath} onInput={(e) => setExportPath(e.currentTarget.value)} required spellcheck={false} />
          </label>
          <button type="submit" class="primary">
            Save CSV
          </button>
          <button type="button" onClick={() => setExportPath(null)}>
            Cancel
          </button>
        </form>
      )}
      {message && <Notice kind={message.ok ? "success" : "error"}>{message.text}</Notice>}
      {error && <Notice kind="error">{error}</Notice>}
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <label>
          From
          <input type="date" value={filters.since} onChange={(e) => update({ since: e.currentTarget.value })} />
        </label>
        <label>
          To
          <input type="date" value={filters.until} onChange={(e) => update({ until: e.currentTarget.value })} />
        </label>
        <FacetSelect label="Source" value={filters.source} options={facets.sources} onChange={(v) => update({ source: v })} />
        <FacetSelect
          label="Provider"
          value={filters.provider}
          options={facets.providers}
          onChange={(v) => update({ provider: v })}
        />
        <FacetSelect label="Model" value={filters.model} options={facets.models} onChange={(v) => update({ model: v })} />
        <FacetSelect
          label="Project"
          value={filters.project}
          options={facets.projects}
          onChange={(v) => update({ project: v })}
        />
        <label class="check">
          <input type="checkbox" checked={filters.perDay} onChange={(e) => update({ perDay: e.currentTarget.checked })} />
          One row per day
        </label>
        <button type="button" onClick={() => update(NO_USAGE_FILTERS)}>
          Clear filters
        </button>
      </form>
      {data && (
        <p class="hint" aria-live="polite">
          {pageLabel(data.offset, data.rows.length, data.totalRows)} · total {data.totals.cost.text}
          {data.totals.unpricedRequests > 0 && ` + ${integer(data.totals.unpricedRequests)} unpriced requests`} · times in{" "}
          {data.timezone}
        </p>
      )}
      {data === null ? (
        !error && <p>Loading…</p>
      ) : data.rows.length === 0 ? (
        <p>No usage matches these filters. Scan your agent logs from the dashboard, or widen the filters.</p>
      ) : (
        <table class="data">
          <caption class="visually-hidden">Usage rows; column headers sort</caption>
          <thead>
            <tr>
              {shownColumns.map((c) => (
                <th scope="col" aria-sort={ariaSort(sort, c.key)} class={c.numeric ? "numeric" : undefined}>
                  <button
                    type="button"
                    class="sort"
                    onClick={() => {
                      setSort(nextSort(sort, c.key));
                      setPage(0);
                    }}
                  >
                    {c.label}
                    <span aria-hidden="true">{sort.key === c.key ? (sort.descending ? " ▼" : " ▲") : ""}</span>
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {data.rows.map((r) => (
              <tr>
                {filters.perDay && <td>{r.date}</td>}
                <td>{r.source}</td>
                <td>{r.provider}</td>
                <td>{r.model}</td>
                <td>{r.project}</td>
                <td class="numeric">{integer(r.amounts.requests)}</td>
                <td class="numeric">{integer(r.amounts.totalTokens)}</td>
                <td class="numeric">
                  {r.amounts.cost.text}
                  {r.amounts.unpricedRequests > 0 && <span class="hint"> (+{r.amounts.unpricedRequests} unpriced)</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="actions pager">
        <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
          Previous
        </button>
        <span>Page {page + 1}</span>
        <button
          type="button"
          disabled={!data || (page + 1) * PAGE_SIZE >= data.totalRows}
          onClick={() => setPage(page + 1)}
        >
          Next
        </button>
      </div>
    </section>
  );
}

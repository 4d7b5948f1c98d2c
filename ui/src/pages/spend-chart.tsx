import { useEffect, useState } from "preact/hooks";
import { api, asCommandError } from "../api";
import type { Chart } from "../bindings";
import { Notice } from "../components/notice";
import { effectiveTheme } from "../theme";
import { CHART_PERIODS, type Breakdown } from "../spend";

/** The core's chart (plotters SVG, which names itself to screen readers), its controls and its PNG export. */
export function SpendChart(props: {
  chart: Chart;
  days: number;
  breakdown: Breakdown;
  onDays: (days: number) => void;
  onBreakdown: (breakdown: Breakdown) => void;
}) {
  const [exporting, setExporting] = useState(false);
  const [path, setPath] = useState("");
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  useEffect(() => {
    if (exporting && !path) api.suggestedExportPath("png").then(setPath).catch(() => undefined);
  }, [exporting]);

  async function exportPng(event: Event) {
    event.preventDefault();
    try {
      const out = await api.exportChartPng({
        chartDays: props.days,
        breakdown: props.breakdown,
        theme: effectiveTheme(),
        path,
      });
      setMessage({ ok: true, text: `Chart saved to ${out.path}.` });
      setExporting(false);
      setPath("");
    } catch (e) {
      setMessage({ ok: false, text: asCommandError(e).message });
    }
  }

  return (
    <section class="card chart-card" aria-labelledby="chart-heading">
      <div class="page-title">
        <h2 id="chart-heading">Spend over time</h2>
        <div class="actions">
          <label class="inline">
            Period
            <select value={String(props.days)} onChange={(e) => props.onDays(Number(e.currentTarget.value))}>
              {CHART_PERIODS.map((p) => (
                <option value={String(p.days)}>{p.label}</option>
              ))}
            </select>
          </label>
          <div role="group" aria-label="Stack by" class="actions">
            {(["provider", "model"] as const).map((b) => (
              <button type="button" aria-pressed={props.breakdown === b} onClick={() => props.onBreakdown(b)}>
                By {b}
              </button>
            ))}
          </div>
          <button type="button" onClick={() => setExporting(!exporting)} aria-expanded={exporting}>
            Export PNG
          </button>
        </div>
      </div>
      {exporting && (
        <form class="actions export" onSubmit={exportPng}>
          <label>
            Save the chart to
            <input value={path} onInput={(e) => setPath(e.currentTarget.value)} required spellcheck={false} />
          </label>
          <button type="submit" class="primary">
            Save PNG
          </button>
        </form>
      )}
      {message && <Notice kind={message.ok ? "success" : "error"}>{message.text}</Notice>}
      <figure class="chart" data-testid="spend-chart">
        {/* The SVG is drawn by the core; user data in it (model names) is XML-escaped there. */}
        <div class="chart-svg" dangerouslySetInnerHTML={{ __html: props.chart.svg }} />
        <figcaption>
          <details>
            <summary>The chart as a table</summary>
            <table class="data">
              <caption class="visually-hidden">{props.chart.title}</caption>
              <thead>
                <tr>
                  <th scope="col">{props.breakdown === "provider" ? "Provider" : "Model"}</th>
                  <th scope="col">Spend, {props.chart.from} to {props.chart.to}</th>
                </tr>
              </thead>
              <tbody>
                {props.chart.series.map((s) => (
                  <tr>
                    <th scope="row">
                      <span class="swatch" style={{ background: s.colour }} aria-hidden="true" /> {s.name}
                    </th>
                    <td>{s.total.text}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p class="hint">{props.chart.description}</p>
          </details>
        </figcaption>
      </figure>
    </section>
  );
}

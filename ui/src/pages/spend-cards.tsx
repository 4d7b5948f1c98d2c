import type { Dashboard, SpendTotal } from "../bindings";
import { count } from "../format";
import { forecastInterval, integer, lastDay } from "../spend";

function Unpriced(props: { total: SpendTotal }) {
  if (props.total.unpricedRequests === 0) return null;
  return (
    <p class="hint">
      + {count(props.total.unpricedRequests, "unpriced request")} ({integer(props.total.unpricedTokens)} tokens), not in
      the total
    </p>
  );
}

function TotalCard(props: { id: string; title: string; total: SpendTotal; range: string }) {
  return (
    <article class="card" aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      <p class="figure" data-testid={`${props.id}-cost`}>
        {props.total.cost.text}
      </p>
      <p class="hint">
        {count(props.total.requests, "request")} · {integer(props.total.tokens)} tokens · {props.range}
      </p>
      <Unpriced total={props.total} />
    </article>
  );
}

/** Today, this week, this month, and the month's forecast with its interval. */
export function SpendCards(props: { dashboard: Dashboard }) {
  const d = props.dashboard;
  const f = d.forecast;
  return (
    <div class="cards" aria-label={`Spend in ${d.timezone}`}>
      <TotalCard id="spend-today" title="Today" total={d.today} range={d.today.from} />
      <TotalCard id="spend-week" title="This week" total={d.week} range={`${d.week.from} to ${d.week.to}`} />
      <TotalCard id="spend-month" title="This month" total={d.month} range={`${d.month.from} to ${d.month.to}`} />
      <article class="card" aria-labelledby="spend-forecast">
        <h2 id="spend-forecast">Forecast for the month</h2>
        <p class="figure" data-testid="spend-forecast-cost">
          {f.projected.text}
        </p>
        <p class="hint">
          {forecastInterval(f)} by {lastDay(f.periodEnd)}
        </p>
        <p class="hint">
          {f.method === "none" ? "Not enough history yet" : `${f.method} on ${count(f.historyDays, "day")} of history`}
          {f.note ? ` — ${f.note}` : ""}
        </p>
      </article>
    </div>
  );
}

import type { BudgetProgress } from "../bindings";
import { budgetLevel, budgetSummary, lastDay, meterValue } from "../spend";

/** Each budget's current period as a labelled meter, with its projection. */
export function BudgetBars(props: { budgets: BudgetProgress[] }) {
  return (
    <ul class="plain budgets">
      {props.budgets.map((b) => {
        const level = budgetLevel(b);
        const id = `budget-${b.id}`;
        return (
          <li class={`budget budget-${level}`}>
            <div class="budget-head">
              <strong id={id}>{b.name}</strong>
              <span>{budgetSummary(b)}</span>
            </div>
            <meter aria-labelledby={id} min={0} max={100} low={79} high={99} optimum={0} value={meterValue(b)} />
            <p class="hint">
              {b.period} · {b.scopeText} · {b.periodStart} to {lastDay(b.periodEnd)} · projected{" "}
              {b.projection.projected.text}
              {level === "over" ? " · over budget" : b.projection.projectedOver ? " · projected over" : ""}
            </p>
          </li>
        );
      })}
    </ul>
  );
}
